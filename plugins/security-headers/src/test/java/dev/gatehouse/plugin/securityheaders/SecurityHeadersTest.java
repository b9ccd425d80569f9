package dev.gatehouse.plugin.securityheaders;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.gatehouse.core.config.InvalidConfigurationException;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Through a real Gatehouse (HTTPS listener, proxy) in front of a stand-in upstream.
 */
class SecurityHeadersTest
{
    static final String SCRIPT = "window.ok=1";
    static final String STYLE = "body{margin:0}";
    static final String PAGE = "<!doctype html><html><head><style>" + STYLE + "</style><script>" + SCRIPT + "</script></head><body>hi</body></html>";
    static final String SCRIPT_HASH = InlineHashes.sha256(SCRIPT);
    static final String STYLE_HASH = InlineHashes.sha256(STYLE);
    static final String REPORTING = "; report-uri /.well-known/gatehouse/csp-report; report-to gatehouse-csp";
    static final String MEDIA_PERMISSIONS = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), serial=(), hid=(), browsing-topics=()";

    static String expectedCsp(Preset preset)
    {
        return switch (preset)
        {
            case PLEX -> "default-src 'none'; script-src 'self' 'unsafe-eval' 'report-sample' https://www.gstatic.com " + SCRIPT_HASH +
                "; style-src 'self' 'report-sample' https://fonts.googleapis.com " + STYLE_HASH +
                "; font-src 'self' data: https://fonts.gstatic.com" +
                "; connect-src 'self' https://*.plex.direct:* wss://*.plex.direct:* https://plex.tv https://*.plex.tv wss://*.plex.tv" +
                "; img-src 'self' data: blob: https://plex.tv https://*.plex.tv https://*.plex.direct:*" +
                "; media-src 'self' data: blob: https://*.plex.direct:*; frame-src 'self' https://*.plex.direct:*; worker-src 'self' blob:" +
                "; manifest-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests" + REPORTING;
            case JELLYFIN -> "default-src 'none'; script-src 'self' 'report-sample' https://www.gstatic.com https://www.youtube.com blob: " + SCRIPT_HASH +
                "; style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self'; img-src 'self' data: blob: https:; media-src 'self' data: blob:" +
                "; frame-src 'self' https://www.youtube.com; worker-src 'self' blob:; manifest-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'" +
                "; frame-ancestors 'self'; upgrade-insecure-requests" + REPORTING;
            case HOME_ASSISTANT -> "default-src 'none'; script-src 'self' 'report-sample' " + SCRIPT_HASH +
                "; style-src 'self' 'unsafe-inline'; font-src 'self' data:; connect-src 'self' https://brands.home-assistant.io https://*.home-assistant.io" +
                "; img-src 'self' data: blob: https:; media-src 'self' data: blob: https:; frame-src 'self' https:; worker-src 'self' blob:; manifest-src 'self'" +
                "; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'; upgrade-insecure-requests" + REPORTING;
            case STRICT -> "default-src 'none'; script-src 'self' " + SCRIPT_HASH + "; style-src 'self' " + STYLE_HASH +
                "; font-src 'self'; connect-src 'self'; img-src 'self'; media-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'" +
                "; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests" + REPORTING;
            case OFF -> null;
        };
    }

    @ParameterizedTest
    @EnumSource(Preset.class)
    void eachPresetSendsExactlyItsHeaders(Preset preset) throws Exception
    {
        Pages pages = new Pages().html("/index.html", PAGE, "Server", "UpstreamServer/1.0", "X-Powered-By", "PHP/8");
        try (StandInUpstream upstream = StandInUpstream.plain().handler(pages);
             GatehouseHarness gatehouse = start(upstream, "gatehouse.security-headers.preset", preset.configName()))
        {
            ContentResponse response = gatehouse.http1().GET(gatehouse.uri("/index.html"));
            assertEquals(200, response.getStatus());
            assertEquals(PAGE, response.getContentAsString(), "the body passes unchanged");
            HttpFields headers = response.getHeaders();
            assertNull(headers.get("Server"));
            assertNull(headers.get("X-Powered-By"));
            String origin = "https://127.0.0.1:" + gatehouse.httpsPort();
            switch (preset)
            {
                case PLEX, JELLYFIN, HOME_ASSISTANT, STRICT ->
                {
                    assertEquals(List.of(expectedCsp(preset)), headers.getValuesList("Content-Security-Policy"));
                    assertEquals("gatehouse-csp=\"" + origin + "/.well-known/gatehouse/csp-report\"", headers.get("Reporting-Endpoints"));
                    assertEquals("max-age=31536000", headers.get("Strict-Transport-Security"));
                    assertEquals("nosniff", headers.get("X-Content-Type-Options"));
                }
                case OFF ->
                {
                    assertNull(headers.get("Content-Security-Policy"));
                    assertNull(headers.get("Reporting-Endpoints"));
                    assertNull(headers.get("Strict-Transport-Security"));
                    assertNull(headers.get("X-Content-Type-Options"));
                }
            }
            switch (preset)
            {
                case PLEX ->
                {
                    assertEquals("DENY", headers.get("X-Frame-Options"));
                    assertEquals("strict-origin-when-cross-origin", headers.get("Referrer-Policy"));
                    assertEquals(MEDIA_PERMISSIONS, headers.get("Permissions-Policy"));
                    assertEquals("same-origin-allow-popups", headers.get("Cross-Origin-Opener-Policy"));
                    assertNull(headers.get("Cross-Origin-Resource-Policy"), "app.plex.tv and Cast load media cross-origin");
                    assertNull(headers.get("Cross-Origin-Embedder-Policy"));
                }
                case JELLYFIN ->
                {
                    assertEquals("SAMEORIGIN", headers.get("X-Frame-Options"));
                    assertEquals("strict-origin-when-cross-origin", headers.get("Referrer-Policy"));
                    assertEquals(MEDIA_PERMISSIONS, headers.get("Permissions-Policy"));
                    assertEquals("same-origin-allow-popups", headers.get("Cross-Origin-Opener-Policy"));
                    assertNull(headers.get("Cross-Origin-Resource-Policy"));
                    assertNull(headers.get("Cross-Origin-Embedder-Policy"));
                }
                case HOME_ASSISTANT ->
                {
                    assertEquals("SAMEORIGIN", headers.get("X-Frame-Options"));
                    assertEquals("strict-origin-when-cross-origin", headers.get("Referrer-Policy"));
                    assertEquals("accelerometer=(), camera=(self), geolocation=(self), gyroscope=(), magnetometer=(), microphone=(self), midi=(), payment=(), usb=(), serial=(), hid=(), browsing-topics=()",
                        headers.get("Permissions-Policy"));
                    assertEquals("same-origin-allow-popups", headers.get("Cross-Origin-Opener-Policy"));
                    assertNull(headers.get("Cross-Origin-Resource-Policy"));
                    assertNull(headers.get("Cross-Origin-Embedder-Policy"));
                }
                case STRICT ->
                {
                    assertEquals("DENY", headers.get("X-Frame-Options"));
                    assertEquals("no-referrer", headers.get("Referrer-Policy"));
                    assertTrue(headers.get("Permissions-Policy").startsWith("accelerometer=(), autoplay=(), camera=()"), headers.get("Permissions-Policy"));
                    assertEquals("same-origin", headers.get("Cross-Origin-Opener-Policy"));
                    assertEquals("same-origin", headers.get("Cross-Origin-Resource-Policy"));
                    assertEquals("require-corp", headers.get("Cross-Origin-Embedder-Policy"));
                }
                case OFF ->
                {
                    assertNull(headers.get("X-Frame-Options"));
                    assertNull(headers.get("Referrer-Policy"));
                    assertNull(headers.get("Permissions-Policy"));
                    assertNull(headers.get("Cross-Origin-Opener-Policy"));
                }
            }
        }
    }

    @Test
    void theUpstreamsOwnPolicyIsReplacedNotDoubled() throws Exception
    {
        Pages pages = new Pages().html("/", PAGE,
            "Content-Security-Policy", "default-src *",
            "Content-Security-Policy-Report-Only", "default-src 'self'",
            "Strict-Transport-Security", "max-age=1",
            "X-Frame-Options", "ALLOWALL",
            "x-frame-options", "SAMEORIGIN",
            "X-XSS-Protection", "1; mode=block",
            "x-powered-by", "Express",
            "Referrer-Policy", "unsafe-url");
        try (StandInUpstream upstream = StandInUpstream.plain().handler(pages);
             GatehouseHarness gatehouse = start(upstream, "gatehouse.security-headers.preset", "strict"))
        {
            // Twice per client: over HTTP/2 the second response on the connection carries the
            // policy's fields as indexes into the first's.
            for (HttpClient client : List.of(gatehouse.http1(), gatehouse.http1(), gatehouse.http2(), gatehouse.http2()))
            {
                HttpFields headers = client.GET(gatehouse.uri("/")).getHeaders();
                assertEquals(List.of(expectedCsp(Preset.STRICT)), headers.getValuesList("Content-Security-Policy"));
                assertEquals(List.of(), headers.getValuesList("Content-Security-Policy-Report-Only"));
                assertEquals(List.of("max-age=31536000"), headers.getValuesList("Strict-Transport-Security"));
                assertEquals(List.of("DENY"), headers.getValuesList("X-Frame-Options"));
                assertEquals(List.of("no-referrer"), headers.getValuesList("Referrer-Policy"));
                assertNull(headers.get("X-XSS-Protection"));
                assertNull(headers.get("X-Powered-By"));
            }
        }
    }

    @Test
    void hstsIsSentOnHttpsOnlyAndTheTunnelsForwardedProtoCounts() throws Exception
    {
        int tunnelPort = freePort();
        Pages pages = new Pages().html("/", PAGE);
        try (StandInUpstream upstream = StandInUpstream.plain().handler(pages);
             GatehouseHarness gatehouse = start(upstream, "gatehouse.tunnel.port", String.valueOf(tunnelPort)))
        {
            HttpClient client = gatehouse.http1();
            URI plain = URI.create("http://127.0.0.1:" + tunnelPort + "/");
            HttpFields overHttp = client.GET(plain).getHeaders();
            assertNull(overHttp.get("Strict-Transport-Security"), "never on plain HTTP");
            assertEquals("nosniff", overHttp.get("X-Content-Type-Options"));
            String csp = overHttp.get("Content-Security-Policy");
            assertTrue(csp.endsWith("; report-uri /.well-known/gatehouse/csp-report"), "no Reporting API on plain HTTP: " + csp);
            assertNull(overHttp.get("Reporting-Endpoints"));

            HttpFields tunnelled = client.newRequest(plain).headers(h -> h.put("X-Forwarded-Proto", "https")).send().getHeaders();
            assertEquals("max-age=31536000", tunnelled.get("Strict-Transport-Security"), "cloudflared says the client used HTTPS");
            assertTrue(tunnelled.get("Content-Security-Policy").endsWith(REPORTING));

            assertEquals("max-age=31536000", client.GET(gatehouse.uri("/")).getHeaders().get("Strict-Transport-Security"));
        }
    }

    @Test
    void hstsOptionsAndOverrides() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain().handler(new Pages().html("/", PAGE));
             GatehouseHarness gatehouse = start(upstream,
                 "gatehouse.security-headers.hsts-max-age", "730d",
                 "gatehouse.security-headers.hsts-include-subdomains", "true",
                 "gatehouse.security-headers.hsts-preload", "true",
                 "gatehouse.security-headers.referrer-policy", "same-origin",
                 "gatehouse.security-headers.permissions-policy", "camera=(), fullscreen=(self \"https://x.example\")"))
        {
            HttpFields headers = gatehouse.http1().GET(gatehouse.uri("/")).getHeaders();
            assertEquals("max-age=63072000; includeSubDomains; preload", headers.get("Strict-Transport-Security"));
            assertEquals("same-origin", headers.get("Referrer-Policy"));
            assertEquals("camera=(), fullscreen=(self \"https://x.example\")", headers.get("Permissions-Policy"));
        }
    }

    @Test
    void additionsRemovalsAndReportOnly() throws Exception
    {
        Pages pages = new Pages().html("/", PAGE, "Content-Security-Policy", "default-src 'self'");
        try (StandInUpstream upstream = StandInUpstream.plain().handler(pages);
             GatehouseHarness gatehouse = start(upstream,
                 "gatehouse.security-headers.preset", "strict",
                 "gatehouse.security-headers.report-only", "true",
                 "gatehouse.security-headers.csp-add", "img-src https://images.example.com data:; frame-ancestors https://dash.example.com",
                 "gatehouse.security-headers.csp-remove", "media-src; font-src 'self'"))
        {
            HttpFields headers = gatehouse.http1().GET(gatehouse.uri("/")).getHeaders();
            assertEquals("default-src 'none'; script-src 'self' " + SCRIPT_HASH + "; style-src 'self' " + STYLE_HASH +
                "; font-src 'none'; connect-src 'self'; img-src 'self' https://images.example.com data:; manifest-src 'self'; object-src 'none'; base-uri 'none'" +
                "; form-action 'self'; frame-ancestors https://dash.example.com" + REPORTING, headers.get("Content-Security-Policy-Report-Only"));
            assertEquals(List.of("default-src 'self'"), headers.getValuesList("Content-Security-Policy"), "report-only changes nothing the app enforces itself");
            assertNull(headers.get("X-Frame-Options"), "a list of hosts has no X-Frame-Options equivalent");
        }
    }

    @Test
    void configurationMistakesAreReportedTogether()
    {
        InvalidConfigurationException error = assertThrows(InvalidConfigurationException.class, () -> GatehouseHarness.builder()
            .upstream(URI.create("http://127.0.0.1:9"))
            .plugin(new SecurityHeadersPlugin())
            .property("gatehouse.security-headers.csp-add", "img-src self")
            .property("gatehouse.security-headers.csp-remove", "img-src https://nowhere.example")
            .property("gatehouse.security-headers.hsts-preload", "true")
            .property("gatehouse.security-headers.preset", "plex")
            .property("gatehouse.security-headers.permissions-policy", "camera=(\r\nself)")
            .start());
        String problems = String.join("\n", error.problems());
        assertTrue(problems.contains("gatehouse.security-headers.csp-add") && problems.contains("'self' must be quoted"), problems);
        assertTrue(problems.contains("the plex preset's img-src has no source https://nowhere.example (it has: 'self' data: blob: https://plex.tv https://*.plex.tv https://*.plex.direct:*)"), problems);
        assertTrue(problems.contains("preload needs hsts-include-subdomains=true"), problems);
        assertTrue(problems.contains("gatehouse.security-headers.permissions-policy") && problems.contains("a header value cannot hold control characters such as line breaks"), problems);
    }

    @Test
    void nonHtmlStreamsThroughWithoutCspAndUnbuffered() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = start(upstream, "gatehouse.security-headers.inline-hash-limit", "1KiB"))
        {
            ContentResponse response = gatehouse.http1().newRequest(gatehouse.uri("/bytes/1500000")).send();
            assertEquals(200, response.getStatus());
            assertEquals(1_500_000, response.getContent().length);
            assertNull(response.getHeaders().get("Content-Security-Policy"));
            assertEquals("nosniff", response.getHeaders().get("X-Content-Type-Options"));
            assertEquals("max-age=31536000", response.getHeaders().get("Strict-Transport-Security"));
            assertEquals(0, gatehouse.gatehouse().server().getDescendants(SecurityHeadersHandler.class).get(0).hasher().cacheSize());
        }
    }

    @Test
    void htmlLargerThanTheLimitGetsTheFallbackPolicy() throws Exception
    {
        String big = "<html><script>" + SCRIPT + "</script>" + "x".repeat(4000) + "</html>";
        Pages pages = new Pages()
            .html("/announced", big)
            .page("/chunked", "text/html", big.getBytes(StandardCharsets.UTF_8), true);
        try (StandInUpstream upstream = StandInUpstream.plain().handler(pages);
             GatehouseHarness gatehouse = start(upstream, "gatehouse.security-headers.inline-hash-limit", "1KiB"))
        {
            for (String path : List.of("/announced", "/chunked"))
            {
                ContentResponse response = gatehouse.http1().GET(gatehouse.uri(path));
                assertEquals(big, response.getContentAsString(), path);
                String csp = response.getHeaders().get("Content-Security-Policy");
                assertTrue(csp.contains("script-src 'self' 'unsafe-eval' 'report-sample' https://www.gstatic.com 'unsafe-inline';"), csp);
                assertTrue(csp.contains("style-src 'self' 'report-sample' https://fonts.googleapis.com 'unsafe-inline';"), csp);
                assertFalse(csp.contains("sha256-"), csp);
            }
        }
        try (StandInUpstream upstream = StandInUpstream.plain().handler(pages);
             GatehouseHarness gatehouse = start(upstream, "gatehouse.security-headers.inline-hash-limit", "1KiB", "gatehouse.security-headers.inline-fallback", "block"))
        {
            String csp = gatehouse.http1().GET(gatehouse.uri("/chunked")).getHeaders().get("Content-Security-Policy");
            assertFalse(csp.contains("'unsafe-inline'"), csp);
        }
    }

    @Test
    void chunkedAndGzippedHtmlIsHashed() throws Exception
    {
        Pages pages = new Pages()
            .page("/chunked", "text/html", PAGE.getBytes(StandardCharsets.UTF_8), true)
            .page("/gzip", "text/html;charset=utf-8", Pages.gzip(PAGE), true, "Content-Encoding", "gzip")
            .page("/br", "text/html", new byte[]{1, 2, 3}, false, "Content-Encoding", "br")
            .page("/latin1", "text/html;charset=iso-8859-1", "<script>var s='\u00e9';</script>".getBytes(StandardCharsets.ISO_8859_1), false);
        try (StandInUpstream upstream = StandInUpstream.plain().handler(pages);
             GatehouseHarness gatehouse = start(upstream))
        {
            HttpClient client = gatehouse.http1();
            for (String path : List.of("/chunked", "/gzip"))
            {
                ContentResponse response = client.GET(gatehouse.uri(path));
                assertEquals(PAGE, response.getContentAsString(), path);
                assertEquals(expectedCsp(Preset.PLEX), response.getHeaders().get("Content-Security-Policy"), path);
            }
            ContentResponse raw = client.newRequest(gatehouse.uri("/br")).headers(h -> h.put("Accept-Encoding", "br")).send();
            assertArrayEquals(new byte[]{1, 2, 3}, raw.getContent(), "an unreadable coding passes unchanged");
            assertTrue(raw.getHeaders().get("Content-Security-Policy").contains("'unsafe-inline'"), "and gets the fallback");
            assertTrue(client.GET(gatehouse.uri("/latin1")).getHeaders().get("Content-Security-Policy").contains(InlineHashes.sha256("var s='\u00e9';")),
                "hashed as UTF-8 of the decoded text, as browsers do");
        }
    }

    @Test
    void navigationsAreAskedWithoutEncodingsThatCannotBeHashed() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = start(upstream))
        {
            HttpClient client = gatehouse.http1();
            client.newRequest(gatehouse.uri("/echo")).headers(h -> h.put("Sec-Fetch-Dest", "document").put("Accept-Encoding", "gzip, deflate, br, zstd")).send();
            assertEquals("gzip, deflate", upstream.lastRequest().header("Accept-Encoding"));
            client.newRequest(gatehouse.uri("/echo")).headers(h -> h.put("Sec-Fetch-Dest", "video").put("Accept-Encoding", "gzip, br")).send();
            assertEquals("gzip, br", upstream.lastRequest().header("Accept-Encoding"), "media and API calls keep theirs");
        }
    }

    @Test
    void hashesAreCachedByETagAndA304KeepsThePolicyItValidates() throws Exception
    {
        Pages pages = new Pages().html("/web/index.html", PAGE, "ETag", "\"v1\"");
        try (StandInUpstream upstream = StandInUpstream.plain().handler(pages);
             GatehouseHarness gatehouse = start(upstream))
        {
            HttpClient client = gatehouse.http1();
            ContentResponse head = client.newRequest(gatehouse.uri("/web/index.html")).method(HttpMethod.HEAD).send();
            assertEquals(200, head.getStatus());
            assertEquals(String.valueOf(PAGE.length()), head.getHeaders().get("Content-Length"));
            assertEquals(0, gatehouse.gatehouse().server().getDescendants(SecurityHeadersHandler.class).get(0).hasher().cacheSize(),
                "a HEAD has no body: remembering its (empty) hashes would break the next GET");
            ContentResponse notYetKnown = client.newRequest(gatehouse.uri("/web/index.html")).headers(h -> h.put("If-None-Match", "\"v1\"")).send();
            assertEquals(304, notYetKnown.getStatus());
            assertNull(notYetKnown.getHeaders().get("Content-Security-Policy"), "a 304 without the hashes must not replace the stored policy");

            assertEquals(expectedCsp(Preset.PLEX), client.GET(gatehouse.uri("/web/index.html")).getHeaders().get("Content-Security-Policy"));
            assertEquals(1, gatehouse.gatehouse().server().getDescendants(SecurityHeadersHandler.class).get(0).hasher().cacheSize());

            ContentResponse known = client.newRequest(gatehouse.uri("/web/index.html")).headers(h -> h.put("If-None-Match", "\"v1\"")).send();
            assertEquals(304, known.getStatus());
            assertEquals(expectedCsp(Preset.PLEX), known.getHeaders().get("Content-Security-Policy"));

            ContentResponse again = client.GET(gatehouse.uri("/web/index.html"));
            assertEquals(PAGE, again.getContentAsString());
            assertEquals(expectedCsp(Preset.PLEX), again.getHeaders().get("Content-Security-Policy"), "from the cache, without holding the body back");
        }
    }

    @Test
    void theProxysOwnErrorPagesGetTheHeaders() throws Exception
    {
        int closedPort = freePort();
        try (GatehouseHarness gatehouse = GatehouseHarness.builder().upstream(URI.create("http://127.0.0.1:" + closedPort)).plugin(new SecurityHeadersPlugin()).start())
        {
            ContentResponse response = gatehouse.http1().GET(gatehouse.uri("/"));
            assertEquals(502, response.getStatus());
            assertEquals("nosniff", response.getHeaders().get("X-Content-Type-Options"));
            assertEquals("max-age=31536000", response.getHeaders().get("Strict-Transport-Security"));
        }
    }

    @Test
    void reportsAreCountedBoundedAndRateLimited() throws Exception
    {
        int tunnelPort = freePort();
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = start(upstream,
                 "gatehouse.tunnel.port", String.valueOf(tunnelPort),
                 "gatehouse.security-headers.report-burst", "5",
                 "gatehouse.security-headers.report-rate-per-minute", "1",
                 "gatehouse.security-headers.report-body-limit", "1KiB"))
        {
            HttpClient client = gatehouse.http1();
            URI endpoint = gatehouse.uri("/.well-known/gatehouse/csp-report");
            String legacy = "{\"csp-report\":{\"document-uri\":\"https://plex.example.com/web/index.html?X-Plex-Token=secret\",\"violated-directive\":\"script-src-elem\"," +
                "\"effective-directive\":\"script-src-elem\",\"blocked-uri\":\"inline\",\"script-sample\":\"alert(1)\",\"disposition\":\"enforce\"}}";
            String reportingApi = "[{\"type\":\"csp-violation\",\"age\":1,\"url\":\"https://plex.example.com/web/\",\"body\":{\"documentURL\":\"https://plex.example.com/web/\"," +
                "\"blockedURL\":\"https://evil.example.com/x.js?token=secret\",\"effectiveDirective\":\"script-src-elem\",\"disposition\":\"enforce\"}}," +
                "{\"type\":\"deprecation\",\"body\":{}}]";
            assertEquals(204, post(client, endpoint, "application/csp-report", legacy).getStatus());
            assertEquals(204, post(client, endpoint, "application/reports+json", reportingApi).getStatus());
            assertEquals(400, post(client, endpoint, "application/csp-report", "{\"csp-report\":").getStatus());
            assertEquals(415, post(client, endpoint, "text/plain", legacy).getStatus());
            assertEquals(413, post(client, endpoint, "application/csp-report", "{\"csp-report\":{\"x\":\"" + "a".repeat(2000) + "\"}}").getStatus());
            assertEquals(413, client.newRequest(endpoint).method(HttpMethod.POST)
                .body(new org.eclipse.jetty.client.AsyncRequestContent("application/csp-report") {{ write(java.nio.ByteBuffer.wrap(new byte[3000]), org.eclipse.jetty.util.Callback.NOOP); close(); }})
                .send().getStatus(), "a chunked body is refused as it passes the limit");
            // The burst of 5 is spent (the 415 was refused before the bucket): the next is refused.
            ContentResponse limited = post(client, endpoint, "application/csp-report", legacy);
            assertEquals(429, limited.getStatus());
            assertEquals("60", limited.getHeaders().get("Retry-After"));

            ViolationCollector collector = gatehouse.gatehouse().server().getDescendants(SecurityHeadersHandler.class).get(0).collector();
            assertEquals(2, collector.total());
            assertEquals(1, collector.count("script-src-elem", "inline"));
            assertEquals(1, collector.count("script-src-elem", "https://evil.example.com"));

            ContentResponse summary = client.GET(endpoint);
            assertEquals(200, summary.getStatus());
            assertEquals("application/json;charset=utf-8", summary.getHeaders().get("Content-Type"));
            String json = summary.getContentAsString();
            assertTrue(json.startsWith("{\"total\":2,\"rejected\":{\"rate-limited\":1,\"too-large\":2,\"malformed\":2,\"not-csp\":1},\"formats\":{\"report-uri\":1,\"reporting-api\":1},\"violations\":["), json);
            assertFalse(json.contains("secret"), "query strings (tokens) are never kept: " + json);
            assertTrue(json.contains("\"last-document\":\"/web/index.html\""), json);

            URI tunnelled = URI.create("http://127.0.0.1:" + tunnelPort + "/.well-known/gatehouse/csp-report");
            assertEquals(404, client.GET(tunnelled).getStatus(), "every tunnelled client arrives from loopback: no summary there");
            assertEquals(404, client.newRequest(endpoint).headers(h -> h.put("X-Forwarded-For", "203.0.113.9")).send().getStatus());
            assertEquals(405, client.newRequest(endpoint).method(HttpMethod.PUT).send().getStatus());
            assertEquals(0, upstream.requests().size(), "the endpoint never reaches the upstream");
        }
    }

    private static ContentResponse post(HttpClient client, URI uri, String contentType, String body) throws Exception
    {
        return client.newRequest(uri).method(HttpMethod.POST).body(new StringRequestContent(contentType, body)).send();
    }

    static GatehouseHarness start(StandInUpstream upstream, String... properties)
    {
        GatehouseHarness.Builder builder = GatehouseHarness.builder().upstream(upstream.uri()).plugin(new SecurityHeadersPlugin());
        for (int i = 0; i < properties.length; i += 2)
            builder.property(properties[i], properties[i + 1]);
        return builder.start();
    }

    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
