package dev.gatehouse.plugin.gate;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BooleanSupplier;

import dev.gatehouse.core.config.InvalidConfigurationException;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.StandInUpstream.RecordedRequest;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * research/gate.md 6.2 through a real Gatehouse: token locations, spoofed identity headers, path
 * normalisation, WebSocket upgrades, identity rules, the LAN bypass, key rotation and outages.
 */
class GateBehaviourTest
{
    @TempDir
    Path base;

    private GatehouseHarness.Builder gate(StandInUpstream upstream, KeyServer keys, String rules, String... properties) throws Exception
    {
        GatehouseHarness.Builder builder = GatehouseHarness.builder()
            .base(base)
            .upstream(upstream.uri())
            .plugin(new GatePlugin())
            .property("gatehouse.gate.cloudflare-team", Minted.TEAM)
            .property("gatehouse.gate.jwks-url", keys.certsUri().toString())
            .property("gatehouse.gate.audiences", Minted.AUDIENCE);
        if (rules != null)
        {
            Files.writeString(base.resolve("gate-rules.txt"), rules);
            builder.property("gatehouse.gate.rules-file", "gate-rules.txt");
        }
        for (int i = 0; i < properties.length; i += 2)
            builder.property(properties[i], properties[i + 1]);
        return builder;
    }

    private static ContentResponse get(HttpClient client, GatehouseHarness gatehouse, String path, String... headers) throws Exception
    {
        var request = client.newRequest(gatehouse.uri(path));
        request.headers(fields ->
        {
            for (int i = 0; i < headers.length; i += 2)
                fields.add(headers[i], headers[i + 1]);
        });
        return request.send();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException
    {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
                throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    @Test
    void theHeaderDecidesWhenPresentAndTheQueryStringIsNeverRead() throws Exception
    {
        Minted minted = Minted.get();
        String valid = minted.token("valid");
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, keys, null).start())
        {
            HttpClient client = gatehouse.http1();
            assertEquals(401, get(client, gatehouse, "/a", IdentityHeaders.ASSERTION, minted.token("tampered-signature"), "Cookie", "CF_Authorization=" + valid).getStatus(),
                "a bad header is a deny, with no fallback to a good cookie");
            assertEquals(200, get(client, gatehouse, "/a", IdentityHeaders.ASSERTION, valid, "Cookie", "CF_Authorization=garbage").getStatus(), "the header wins");
            assertEquals(401, get(client, gatehouse, "/a", IdentityHeaders.ASSERTION, valid, IdentityHeaders.ASSERTION, valid).getStatus(), "two headers are refused");
            assertEquals(401, get(client, gatehouse, "/a?CF_Authorization=" + valid + "&cf_access_jwt_assertion=" + valid + "&access_token=" + valid).getStatus(), "never from the query");
            assertEquals(401, get(client, gatehouse, "/a", "Authorization", "Bearer " + valid).getStatus(), "bearer is off by default");
            assertEquals(401, get(client, gatehouse, "/a", "Cf-Access-Jwt-Assertion-X", valid, "cf_access_jwt_assertion", valid).getStatus(), "only the exact header name carries the token");
        }
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, keys, null, "gatehouse.gate.token-bearer", "true", "gatehouse.gate.token-cookie", "false").start())
        {
            HttpClient client = gatehouse.http1();
            assertEquals(200, get(client, gatehouse, "/a", "Authorization", "Bearer " + valid).getStatus());
            assertNull(upstream.lastRequest().header("Authorization"), "the bearer token is not forwarded");
            assertEquals(401, get(client, gatehouse, "/a", "Cookie", "CF_Authorization=" + valid).getStatus(), "cookie off");
        }
    }

    @Test
    void spoofedIdentityHeadersNeverReachTheUpstream() throws Exception
    {
        Minted minted = Minted.get();
        List<String> spoofed = List.of("Cf-Access-Authenticated-User-Email", "cf_access_authenticated_user_email", "Cf.Access.Authenticated.User.Email",
            "CF-ACCESS-AUTHENTICATED-USER-EMAIL", "X-Forwarded-User", "X_Forwarded_User", "X.Forwarded.User", "X-Forwarded-Email", "X-Forwarded-Groups",
            "Remote-User", "Remote_User", "remote.user", "X-Auth-Request-Email", "X-Authentik-Username", "X-Pomerium-Claim-Email", "X-Forwarded-Uri",
            "X-Original-URI", "Cf-Access-Client-Id", "X-Authenticated-User", "X.Authenticated.User");
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, keys, "bypass path=/web/*\n").start())
        {
            HttpClient client = gatehouse.http1();
            for (String path : List.of("/web/index.html", "/library/sections"))
            {
                var request = client.newRequest(gatehouse.uri(path)).headers(fields ->
                {
                    spoofed.forEach(name -> fields.add(name, "mallory@evil.example"));
                    fields.add(IdentityHeaders.ASSERTION, minted.token("valid"));
                    fields.add("Cookie", "theme=dark; CF_Authorization=" + minted.token("valid"));
                });
                assertEquals(200, request.send().getStatus(), path);
                RecordedRequest received = upstream.lastRequest();
                for (HttpField field : received.headers())
                    assertFalse(field.getValue().contains("mallory"), path + ": " + field);
                assertNull(received.header(IdentityHeaders.ASSERTION), "the token is not forwarded by default");
                assertEquals("theme=dark", received.header("Cookie"), "only the token cookie is removed");
                if (path.startsWith("/web"))
                {
                    assertNull(received.header("X-Forwarded-User"), "a bypassed request carries no identity");
                    assertNull(received.header("Cf-Access-Authenticated-User-Email"));
                }
                else
                {
                    assertEquals(List.of("alice@example.com"), received.values("Cf-Access-Authenticated-User-Email"));
                    assertEquals(List.of("alice@example.com"), received.values("X-Forwarded-User"));
                    assertEquals(List.of("alice@example.com"), received.values("Remote-User"));
                    long identityHeaders = received.headers().stream().filter(field -> IdentityHeaders.isProtected(field.getName())).count();
                    assertEquals(4, identityHeaders, "exactly the gate's own: " + received.headers());
                }
            }
        }
    }

    @Test
    void pathTricksNeitherBypassNorDodgeRules() throws Exception
    {
        Minted minted = Minted.get();
        String valid = IdentityHeaders.ASSERTION + ": " + minted.token("valid");
        String rules = """
            # the Plex web app's static files are public; the admin area is closed to everyone
            bypass path=/web/* method=GET,HEAD
            deny   path=/admin/*
            """;
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, keys, rules).start())
        {
            int port = gatehouse.httpsPort();
            assertEquals(200, Raw.request(port, true, "GET", "/web/index.html"), "the bypass works");
            assertEquals(200, Raw.request(port, true, "GET", "/WEB/index.html"), "paths match case-insensitively");
            assertEquals(401, Raw.request(port, true, "POST", "/web/index.html"), "method condition");
            assertEquals(401, Raw.request(port, true, "GET", "/library/sections"));
            int upstreamBefore = upstream.requests().size();
            for (String target : List.of("/web/../library/sections", "/web/%2e%2e/library/sections", "/web/%2E%2E/library/sections", "/web/..%2flibrary/sections",
                "/web/..%2Flibrary", "/web/%2e%2e%2flibrary", "/web//../library/sections", "/web/..;/library/sections", "/web;x=y/../library/sections",
                "/web/.%2e/library/sections", "/web/%252e%252e/library", "/web/..%5clibrary", "/web/..\\library", "/web/%00/../library"))
            {
                int status = Raw.request(port, true, "GET", target, "X-Forwarded-Uri: /web/index.html", "X-Original-URI: /web/index.html");
                assertTrue(status == 400 || status == 401 || status == 404 && target.contains("%252e"), target + " -> " + status);
            }
            // %252e decodes once to %2e, a literal segment name under /web: a bypassed request for a file the upstream does not have.
            assertTrue(upstream.requests().stream().skip(upstreamBefore).allMatch(request -> request.pathQuery().startsWith("/web/%252e")), upstream.requests().toString());
            for (String target : List.of("/admin/x", "/ADMIN/x", "/Admin/x", "/%61dmin/x", "//admin/x", "/admin;p=1/x", "/x/../admin/x", "/web/../admin/x", "/admin/", "/admin"))
            {
                int status = Raw.request(port, true, "GET", target, valid);
                assertTrue(status == 400 || status == 403, target + " -> " + status);
            }
        }
    }

    @Test
    void aWebSocketUpgradeWithoutATokenIsRefused() throws Exception
    {
        Minted minted = Minted.get();
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, keys, null).start())
        {
            String[] upgrade = {"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"};
            assertEquals(401, Raw.request(gatehouse.httpsPort(), true, "GET", "/:/websockets/notifications", upgrade));
            assertEquals(401, Raw.request(gatehouse.httpsPort(), true, "GET", "/:/websockets/notifications?X-Plex-Token=abcdefgh12345678", upgrade));
            assertTrue(upstream.requests().isEmpty(), "nothing reached the upstream");
        }
    }

    @Test
    void identityConditionsGive403() throws Exception
    {
        Minted minted = Minted.get();
        String rules = """
            allow path=/family/* group=family email=alice@example.com
            allow path=/admin/*  email-domain=corp.example common-name=f1e2d3c4b5.access
            """;
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, keys, rules).start())
        {
            HttpClient client = gatehouse.http1();
            String h = IdentityHeaders.ASSERTION;
            assertEquals(200, get(client, gatehouse, "/family/photos", h, minted.token("identity-bob-family")).getStatus(), "group");
            assertEquals("family", upstream.lastRequest().header("X-Forwarded-Groups"));
            assertEquals(200, get(client, gatehouse, "/family/photos", h, minted.token("valid")).getStatus(), "email");
            assertEquals(403, get(client, gatehouse, "/family/photos", h, minted.token("identity-carol-admins")).getStatus());
            assertEquals(200, get(client, gatehouse, "/admin/users", h, minted.token("identity-carol-admins")).getStatus(), "email domain");
            assertEquals(200, get(client, gatehouse, "/admin/users", h, minted.token("valid-service-token")).getStatus(), "service token common_name");
            assertEquals(403, get(client, gatehouse, "/admin/users", h, minted.token("identity-bob-family")).getStatus());
            assertEquals(401, get(client, gatehouse, "/admin/users").getStatus(), "no token is 401, not 403");
            assertEquals(200, get(client, gatehouse, "/elsewhere", h, minted.token("identity-bob-family")).getStatus(), "default: any identity");
            GateHandler handler = gatehouse.server().getDescendant(GateHandler.class);
            assertEquals(2L, handler.counters().get("403:identity-not-allowed"));
            assertEquals(1L, handler.counters().get("401:token-missing"));
        }
    }

    @Test
    void theLanBypassJudgesTheTcpPeerOnTheDirectListenerOnly() throws Exception
    {
        Minted minted = Minted.get();
        int tunnelPort;
        try (var socket = new java.net.ServerSocket(0))
        {
            tunnelPort = socket.getLocalPort();
        }
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, keys, "bypass connector=https network=127.0.0.0/8,192.168.0.0/16\n",
                 "gatehouse.tunnel.port", String.valueOf(tunnelPort)).plugin(TestClientPlugin.create()).start())
        {
            // Through the tunnel listener (cloudflared's loopback peer), even a LAN client address needs a token.
            assertEquals(401, Raw.request(tunnelPort, false, "GET", "/library", "X-Test-Client: 192.168.1.10", "X-Forwarded-Proto: https"));
            assertEquals(401, Raw.request(tunnelPort, false, "GET", "/library", "X-Forwarded-Proto: https"));
            assertEquals(200, Raw.request(tunnelPort, false, "GET", "/library", IdentityHeaders.ASSERTION + ": " + minted.token("valid")));
            // Directly on the HTTPS listener the TCP peer (loopback here) is what counts, not a claimed address.
            assertEquals(200, Raw.request(gatehouse.httpsPort(), true, "GET", "/library"));
            assertEquals(200, Raw.request(gatehouse.httpsPort(), true, "GET", "/library", "X-Test-Client: 198.51.100.7"));
        }
        for (String rule : List.of("bypass network=192.168.0.0/16", "bypass connector=tunnel network=192.168.0.0/16", "bypass connector=gatehouse-tunnel network=10.0.0.0/8",
            "allow email=x@y.z connector=https network=10.0.0.0/8 bogus=1", "bypass", "deny email=a@b.c", "allow path=/a%2fb", "allow path=/a/../b", "frobnicate path=/"))
        {
            try (KeyServer keys = new KeyServer(minted.jwks);
                 StandInUpstream upstream = StandInUpstream.plain())
            {
                InvalidConfigurationException failure = assertThrows(InvalidConfigurationException.class, () -> gate(upstream, keys, "# rules\n" + rule + "\n").start().close(), rule);
                assertTrue(failure.getMessage().contains("line 2"), failure.getMessage());
            }
        }
    }

    @Test
    void aNewKidIsPickedUpAndARemovedKeyStopsWorking() throws Exception
    {
        Minted minted = Minted.get();
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, keys, null, "gatehouse.gate.jwks-cache-ttl", "2s", "gatehouse.gate.jwks-refresh-ahead", "1s",
                 "gatehouse.gate.jwks-rate-limit", "500ms").start())
        {
            HttpClient client = gatehouse.http1();
            String h = IdentityHeaders.ASSERTION;
            assertEquals(1, keys.keyFetches.get(), "warmed at start");
            assertEquals(200, get(client, gatehouse, "/", h, minted.token("valid")).getStatus());
            keys.document = minted.jwksRotated;
            assertEquals(200, get(client, gatehouse, "/", h, minted.token("rotated-key-b")).getStatus(), "a new kid triggers one refetch");
            assertEquals(200, get(client, gatehouse, "/", h, minted.token("identity-bob-family")).getStatus(), "the old key still works while it is in the set");
            keys.document = minted.jwksWithoutA;
            int fetched = keys.keyFetches.get();
            // Tokens with an unknown kid are never cached, so each one asks the key source: once the
            // cache expired (2 s), one of them makes it fetch the new set.
            await(() -> poke(client, gatehouse, minted) && keys.keyFetches.get() > fetched, "the cache to refresh");
            assertEquals(401, get(client, gatehouse, "/", h, minted.token("key-a-fresh-1")).getStatus(), "a key removed from the set stops working");
            assertEquals(200, get(client, gatehouse, "/", h, minted.token("rotated-key-b-fresh-1")).getStatus());

            keys.down = true;
            int attempts = keys.attempts.get();
            await(() -> poke(client, gatehouse, minted) && keys.attempts.get() > attempts + 2, "fetches during the outage");
            assertEquals(200, get(client, gatehouse, "/", h, minted.token("rotated-key-b-fresh-2")).getStatus(), "cached keys keep working during an outage");
            assertTrue(keys.keyFetches.get() < 40, "fetches are rate limited: " + keys.keyFetches.get());
        }
    }

    private static boolean poke(HttpClient client, GatehouseHarness gatehouse, Minted minted)
    {
        try
        {
            return get(client, gatehouse, "/", IdentityHeaders.ASSERTION, minted.token("unknown-kid")).getStatus() == 401;
        }
        catch (Exception e)
        {
            return false;
        }
    }

    @Test
    void noKeysEverLoadedIs503AndRecovers() throws Exception
    {
        Minted minted = Minted.get();
        try (KeyServer keys = new KeyServer(minted.jwks))
        {
            keys.down = true;
            try (StandInUpstream upstream = StandInUpstream.plain();
                 GatehouseHarness gatehouse = gate(upstream, keys, "bypass path=/identity\n", "gatehouse.gate.jwks-rate-limit", "500ms").start())
            {
                HttpClient client = gatehouse.http1();
                ContentResponse response = get(client, gatehouse, "/library", IdentityHeaders.ASSERTION, minted.token("valid"));
                assertEquals(503, response.getStatus());
                assertEquals("30", response.getHeaders().get("Retry-After"));
                assertEquals(401, get(client, gatehouse, "/library").getStatus(), "no token is still 401");
                assertEquals(200, get(client, gatehouse, "/identity").getStatus(), "bypass rules work without keys");
                keys.down = false;
                await(() ->
                {
                    try
                    {
                        return get(client, gatehouse, "/library", IdentityHeaders.ASSERTION, minted.token("valid")).getStatus() == 200;
                    }
                    catch (Exception e)
                    {
                        return false;
                    }
                }, "the keys to load");
            }
        }
    }

    @Test
    void anOidcIssuerIsFoundByDiscoveryAndADenyPageIsServedToBrowsers() throws Exception
    {
        Minted minted = Minted.get();
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain())
        {
            // The tokens name the Cloudflare issuer; here it is served as a plain OIDC issuer on loopback.
            keys.discoveryIssuer = keys.base().toString();
            Files.writeString(base.resolve("denied.html"), "<!doctype html><title>No entry</title><p>Sign in through Cloudflare Access first.</p>");
            try (GatehouseHarness gatehouse = GatehouseHarness.builder().base(base).upstream(upstream.uri()).plugin(new GatePlugin())
                .property("gatehouse.gate.issuer", keys.base().toString())
                .property("gatehouse.gate.audiences", Minted.AUDIENCE)
                .property("gatehouse.gate.deny-page", "denied.html")
                .start())
            {
                HttpClient client = gatehouse.http1();
                assertEquals(401, get(client, gatehouse, "/", IdentityHeaders.ASSERTION, minted.token("valid")).getStatus(), "another issuer's token");
                ContentResponse page = get(client, gatehouse, "/", "Accept", "text/html,application/xhtml+xml");
                assertEquals(401, page.getStatus());
                assertTrue(page.getContentAsString().contains("No entry"));
                assertEquals("401 Unauthorized\n", get(client, gatehouse, "/", "Accept", "application/json").getContentAsString());
                assertEquals(1, keys.keyFetches.get(), "keys from the discovered jwks_uri");
            }
        }
    }

    @Test
    void configurationMistakesFailTheStart() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain())
        {
            InvalidConfigurationException failure = assertThrows(InvalidConfigurationException.class, () ->
                GatehouseHarness.builder().base(base).upstream(upstream.uri()).plugin(new GatePlugin())
                    .property("gatehouse.gate.cloudflare-team", "My Team.cloudflareaccess.com")
                    .property("gatehouse.gate.algorithms", "RS256,HS256")
                    .property("gatehouse.gate.clock-skew", "10m")
                    .start().close());
            String message = failure.getMessage().toLowerCase(Locale.ROOT);
            for (String key : Set.of("gatehouse.gate.cloudflare-team", "gatehouse.gate.algorithms", "gatehouse.gate.clock-skew", "gatehouse.gate.audiences"))
                assertTrue(message.contains(key), key + " in " + failure.getMessage());
        }
    }

    static String read(Path file) throws Exception
    {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
