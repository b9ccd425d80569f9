package dev.gatehouse.plugin.forwarded;

import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.StandInUpstream.RecordedRequest;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real sockets: clients on 127.0.0.1, Gatehouse's HTTPS listener (HTTP/1.1 and HTTP/2 by ALPN),
 * a stand-in upstream that records what it receives, and a probe handler that records what a
 * later handler sees. The peer is always 127.0.0.1, so "trusted" and "untrusted" are made by the
 * configuration: loopback listed, or not.
 */
class ForwardedEndToEndTest
{
    @TempDir
    Path temporary;

    /**
     * Every client-claim header a client could try, including aliases that some back ends fold
     * into X-Forwarded-For.
     */
    private static final List<String[]> SPOOFS = List.of(
        new String[]{"X_Forwarded_For", "10.0.0.66"},
        new String[]{"X.Forwarded.For", "10.0.0.67"},
        new String[]{"x-forwarded_for", "10.0.0.68"},
        new String[]{"X-Real-IP", "10.0.0.69"},
        new String[]{"X_Real_IP", "10.0.0.70"},
        new String[]{"CF-Connecting-IP", "10.0.0.71"},
        new String[]{"CF_Connecting_IP", "10.0.0.72"},
        new String[]{"True-Client-IP", "10.0.0.73"},
        new String[]{"X-Client-IP", "10.0.0.74"},
        new String[]{"X-Cluster-Client-IP", "10.0.0.75"},
        new String[]{"Forwarded", "for=10.0.0.76;proto=http"},
        new String[]{"X-Forwarded-Host", "evil.example"},
        new String[]{"X_Forwarded_Host", "evil2.example"},
        new String[]{"X-Forwarded-Port", "31337"},
        new String[]{"X-Forwarded-Server", "evil.example"},
        new String[]{"X-Forwarded-Prefix", "/evil"});

    private static GatehouseHarness.Builder gatehouse(StandInUpstream upstream, ProbePlugin probe)
    {
        return GatehouseHarness.builder()
            .upstream(upstream.uri())
            .plugin(new ForwardedPlugin())
            .plugin(probe);
    }

    private static HttpClient client(GatehouseHarness gatehouse, String protocol)
    {
        return protocol.equals("h2") ? gatehouse.http2() : gatehouse.http1();
    }

    @ParameterizedTest(name = "client {0}")
    @ValueSource(strings = {"h1", "h2"})
    void fromATrustedLoopbackProxyTheRightMostUntrustedAddressIsTheClientEverywhere(String protocol) throws Exception
    {
        ProbePlugin probe = new ProbePlugin();
        Queue<String> logged = new ConcurrentLinkedQueue<>();
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gatehouse(upstream, probe)
                 .property("gatehouse.forwarded.internal-proxies", "loopback")
                 .start())
        {
            gatehouse.server().setRequestLog((request, response) -> logged.add(Request.getRemoteAddr(request)));
            ContentResponse response = client(gatehouse, protocol).newRequest(gatehouse.uri("/echo"))
                .headers(headers ->
                {
                    headers.add("X-Forwarded-For", "6.6.6.6, 10.0.0.5");
                    headers.add("X-Forwarded-For", "198.51.100.9");
                    headers.add("X-Forwarded-Proto", "http");
                    SPOOFS.forEach(spoof -> headers.add(spoof[0], spoof[1]));
                })
                .send();
            assertEquals(200, response.getStatus());

            ProbePlugin.Seen seen = probe.last();
            assertEquals("198.51.100.9", seen.remoteAddr());
            assertFalse(seen.secure(), "X-Forwarded-Proto: http from a trusted proxy");
            assertEquals("http", seen.scheme());
            assertEquals("127.0.0.1", seen.serverName(), "accept-host is off by default");

            RecordedRequest received = upstream.lastRequest();
            assertEquals(List.of("198.51.100.9"), received.values("X-Forwarded-For"));
            assertEquals(List.of("198.51.100.9"), received.values("X-Real-IP"));
            assertEquals("http", received.header("X-Forwarded-Proto"));
            assertNoSpoofArrived(received);
            assertEquals("198.51.100.9", awaitLast(logged), "the request log sees the client");
        }
    }

    @ParameterizedTest(name = "client {0}")
    @ValueSource(strings = {"h1", "h2"})
    void fromAnUntrustedPeerNoHeaderChangesTheClient(String protocol) throws Exception
    {
        ProbePlugin probe = new ProbePlugin();
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gatehouse(upstream, probe)
                 .property("gatehouse.forwarded.trusted-proxies", "10.0.0.0/8,cloudflare")
                 .property("gatehouse.forwarded.internal-proxies", "192.168.0.0/16")
                 .property("gatehouse.forwarded.cf-connecting-ip-from", "cloudflare")
                 .property("gatehouse.forwarded.cloudflare-ips-file", ForwardedCasesTest.CLOUDFLARE_FILE.toAbsolutePath().toString())
                 .property("gatehouse.forwarded.accept-host", "true")
                 .property("gatehouse.forwarded.accept-port", "true")
                 .property("gatehouse.forwarded.header", "auto")
                 .start())
        {
            ContentResponse response = client(gatehouse, protocol).newRequest(gatehouse.uri("/echo"))
                .headers(headers ->
                {
                    headers.add("X-Forwarded-For", "198.51.100.9");
                    headers.add("X-Forwarded-Proto", "http");
                    SPOOFS.forEach(spoof -> headers.add(spoof[0], spoof[1]));
                })
                .send();
            assertEquals(200, response.getStatus());

            ProbePlugin.Seen seen = probe.last();
            assertEquals("127.0.0.1", seen.remoteAddr());
            assertTrue(seen.secure());
            assertEquals("https", seen.scheme());
            assertEquals("127.0.0.1", seen.serverName());
            assertEquals(gatehouse.httpsPort(), seen.serverPort());

            RecordedRequest received = upstream.lastRequest();
            assertEquals(List.of("127.0.0.1"), received.values("X-Forwarded-For"));
            assertEquals(List.of("127.0.0.1"), received.values("X-Real-IP"));
            assertEquals("https", received.header("X-Forwarded-Proto"));
            assertEquals("127.0.0.1:" + gatehouse.httpsPort(), received.header("X-Forwarded-Host"));
            assertNoSpoofArrived(received);
        }
    }

    @Test
    void connectionNominatedForwardingHeadersAreStrippedAndRebuilt() throws Exception
    {
        // research 4 #51 (Traefik): Connection naming the forwarding headers has no effect on ours.
        ProbePlugin probe = new ProbePlugin();
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gatehouse(upstream, probe).start())
        {
            ContentResponse response = gatehouse.http1().newRequest(gatehouse.uri("/echo"))
                .headers(headers -> headers
                    .add("Connection", "keep-alive, X-Forwarded-For, X-Forwarded-Proto, X-Real-Ip, X_forwarded_proto, X-Spoof")
                    .add("X-Forwarded-For", "6.6.6.6")
                    .add("X-Real-Ip", "6.6.6.7")
                    .add("X_forwarded_proto", "http")
                    .add("X-Spoof", "1"))
                .send();
            assertEquals(200, response.getStatus());
            RecordedRequest received = upstream.lastRequest();
            assertNull(received.header("Connection"));
            assertNull(received.header("X-Spoof"));
            assertNull(received.header("X_forwarded_proto"));
            assertEquals(List.of("127.0.0.1"), received.values("X-Forwarded-For"));
            assertEquals(List.of("127.0.0.1"), received.values("X-Real-IP"));
            assertEquals(List.of("https"), received.values("X-Forwarded-Proto"));
        }
    }

    @ParameterizedTest(name = "client {0}")
    @ValueSource(strings = {"h1", "h2"})
    void chainForwardedHostAndPortFromATrustedProxy(String protocol) throws Exception
    {
        ProbePlugin probe = new ProbePlugin();
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gatehouse(upstream, probe)
                 .property("gatehouse.forwarded.internal-proxies", "loopback,10.0.0.0/8")
                 .property("gatehouse.forwarded.accept-host", "true")
                 .property("gatehouse.forwarded.accept-port", "true")
                 .property("gatehouse.forwarded.upstream-x-forwarded-for", "chain")
                 .property("gatehouse.forwarded.upstream-forwarded", "true")
                 .start())
        {
            ContentResponse response = client(gatehouse, protocol).newRequest(gatehouse.uri("/echo"))
                .headers(headers -> headers
                    .add("X-Forwarded-For", "6.6.6.6, 2001:db8::7, 10.0.0.2")
                    .add("X-Forwarded-Proto", "https")
                    .add("X-Forwarded-Host", "Media.Example.com")
                    .add("X-Forwarded-Port", "8443"))
                .send();
            assertEquals(200, response.getStatus());

            ProbePlugin.Seen seen = probe.last();
            assertEquals("[2001:db8:0:0:0:0:0:7]", seen.remoteAddr(), "Jetty's own text for an IPv6 remote address");
            assertEquals("media.example.com", seen.serverName());
            assertEquals(8443, seen.serverPort());
            assertTrue(seen.secure());

            RecordedRequest received = upstream.lastRequest();
            assertEquals(List.of("2001:db8::7, 10.0.0.2, 127.0.0.1"), received.values("X-Forwarded-For"));
            assertEquals(List.of("2001:db8::7"), received.values("X-Real-IP"));
            assertEquals(List.of("for=\"[2001:db8::7]\";host=\"media.example.com:8443\";proto=https, for=10.0.0.2, for=127.0.0.1"), received.values("Forwarded"));
            assertEquals("media.example.com:8443", received.header("X-Forwarded-Host"));
            assertEquals("8443", received.header("X-Forwarded-Port"));
            assertEquals("https", received.header("X-Forwarded-Proto"));
        }
    }

    @ParameterizedTest(name = "client {0}")
    @ValueSource(strings = {"h1", "h2"})
    void malformedValuesNeverFailTheRequest(String protocol) throws Exception
    {
        ProbePlugin probe = new ProbePlugin();
        String[][] garbage = {
            {"X-Forwarded-For", "1.2.3.4, 010.0.0.1"}, {"X-Forwarded-For", "fe80::1%eth0"}, {"X-Forwarded-For", "[::1"},
            {"X-Forwarded-For", "unknown"}, {"X-Forwarded-For", "1.2.3.4:99999"}, {"X-Forwarded-For", ",,,,"},
            {"X-Forwarded-For", "x".repeat(2000)}, {"Forwarded", "for=\"[::1]:\""}, {"Forwarded", "\""},
            {"X-Forwarded-Port", ""}, {"X-Forwarded-Port", "-1"}, {"X-Forwarded-Host", "a b"}, {"X-Forwarded-Host", "[::1"},
            {"X-Forwarded-Proto", "gopher"}, {"CF-Connecting-IP", "999.1.1.1"}};
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gatehouse(upstream, probe)
                 .property("gatehouse.forwarded.internal-proxies", "loopback")
                 .property("gatehouse.forwarded.cf-connecting-ip-from", "loopback")
                 .property("gatehouse.forwarded.header", "auto")
                 .property("gatehouse.forwarded.accept-host", "true")
                 .property("gatehouse.forwarded.accept-port", "true")
                 .start())
        {
            HttpClient client = client(gatehouse, protocol);
            for (String[] header : garbage)
            {
                ContentResponse response = client.newRequest(gatehouse.uri("/echo")).headers(headers -> headers.add(header[0], header[1])).send();
                assertEquals(200, response.getStatus(), header[0] + ": " + header[1]);
                assertEquals(List.of("127.0.0.1"), upstream.lastRequest().values("X-Forwarded-For"), header[0] + ": " + header[1]);
                assertEquals("https", upstream.lastRequest().header("X-Forwarded-Proto"));
            }
        }
    }

    @Test
    void aMissingCloudflareFileStopsTheStart() throws Exception
    {
        Path missing = temporary.resolve("no-such-file.txt");
        try (StandInUpstream upstream = StandInUpstream.plain())
        {
            Exception failure = assertThrows(Exception.class, () -> GatehouseHarness.builder()
                .upstream(upstream.uri())
                .plugin(new ForwardedPlugin())
                .property("gatehouse.forwarded.trusted-proxies", "cloudflare")
                .property("gatehouse.forwarded.cloudflare-ips-file", missing.toString())
                .start()
                .close());
            assertTrue(messages(failure).contains("cannot read the Cloudflare ranges"), messages(failure));
        }
    }

    @Test
    void cloudflareAsAnInternalProxyIsAConfigurationError() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain())
        {
            Exception failure = assertThrows(Exception.class, () -> GatehouseHarness.builder()
                .upstream(upstream.uri())
                .plugin(new ForwardedPlugin())
                .property("gatehouse.forwarded.internal-proxies", "cloudflare")
                .property("gatehouse.forwarded.trusted-proxy", "loopback")
                .start()
                .close());
            String text = messages(failure);
            assertTrue(text.contains("gatehouse.forwarded.internal-proxies") && text.contains("external CDN"), text);
            assertTrue(text.contains("did you mean gatehouse.forwarded.trusted-proxies"), text);
        }
    }

    private static void assertNoSpoofArrived(RecordedRequest received)
    {
        for (String[] spoof : SPOOFS)
        {
            received.headers().forEach(field ->
            {
                assertFalse(field.getValue().contains(spoof[1]) && !field.getName().equalsIgnoreCase("Host"),
                    "the client's " + spoof[0] + " reached the upstream as " + field);
            });
        }
        for (String name : List.of("X_Forwarded_For", "X.Forwarded.For", "x-forwarded_for", "X_Real_IP", "CF-Connecting-IP", "CF_Connecting_IP",
            "True-Client-IP", "X-Client-IP", "X-Cluster-Client-IP", "Forwarded", "X_Forwarded_Host", "X-Forwarded-Server", "X-Forwarded-Prefix"))
            assertNull(received.header(name), name);
    }

    private static String awaitLast(Queue<String> logged) throws InterruptedException
    {
        // The request log runs when the exchange completes, which may be just after the client saw the response.
        for (int i = 0; i < 100 && logged.isEmpty(); i++)
            Thread.sleep(20);
        String last = null;
        for (String each : logged)
            last = each;
        return last;
    }

    private static String messages(Throwable failure)
    {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = failure; cause != null; cause = cause.getCause())
        {
            text.append(cause).append('\n');
            if (cause instanceof dev.gatehouse.core.config.InvalidConfigurationException invalid)
                text.append(invalid.problems()).append('\n');
            for (Throwable suppressed : cause.getSuppressed())
                text.append(suppressed).append('\n');
        }
        return text.toString();
    }
}
