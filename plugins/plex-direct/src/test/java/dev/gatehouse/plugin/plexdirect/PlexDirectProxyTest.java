package dev.gatehouse.plugin.plexdirect;

import java.net.URI;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import dev.gatehouse.spi.Slot;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream.RecordedRequest;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestAuthority;
import dev.gatehouse.testkit.TestCertificates;
import dev.gatehouse.testkit.TestPlugin;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugin in front of a stand-in Plex on 127.0.0.1 with a {@code *.<hash>.plex.direct}
 * certificate from a test CA, trusted through {@code gatehouse.upstream.trust-store}.
 */
class PlexDirectProxyTest
{
    @RegisterExtension
    static final TestAuthority ca = new TestAuthority("Test Plex CA");

    static String newHash()
    {
        return String.format("%016x%016x", ThreadLocalRandom.current().nextLong(), ThreadLocalRandom.current().nextLong());
    }

    static KeyStore plexCertificate(TestCertificates.Authority authority, String hash)
    {
        return authority.issue("*." + hash + ".plex.direct", "*." + hash + ".plex.direct");
    }

    static String name(String hash)
    {
        return "127-0-0-1." + hash + ".plex.direct";
    }

    private static GatehouseHarness.Builder gatehouse(URI upstream)
    {
        return GatehouseHarness.builder()
            .upstream(upstream)
            .property("gatehouse.upstream.trust-store", ca.pem().toString())
            .plugin(new PlexDirectPlugin());
    }

    /** With the upstream client's TLS named: Conscrypt (the default where it loads) or the JDK's. */
    private static GatehouseHarness.Builder gatehouse(URI upstream, String tlsProvider)
    {
        return gatehouse(upstream).property("gatehouse.upstream.tls-provider", tlsProvider);
    }

    @ParameterizedTest
    @ValueSource(strings = {"conscrypt", "jdk"})
    void theUpstreamSeesTheNameAsSniAndHostWithoutDns(String tlsProvider) throws Exception
    {
        String hash = newHash();
        try (StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false);
             GatehouseHarness gatehouse = gatehouse(plex.uri(name(hash)), tlsProvider).start())
        {
            ContentResponse response = gatehouse.http1().GET(gatehouse.uri("/library/sections"));
            assertEquals(200, response.getStatus(), response.getContentAsString());
            RecordedRequest received = plex.lastRequest();
            assertEquals(name(hash), received.sni());
            assertEquals(List.of(name(hash) + ":" + plex.port()), received.values("Host"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"conscrypt", "jdk"})
    void aWrongHashIsA502WithAClearLogLine(String tlsProvider) throws Exception
    {
        String hash = newHash();
        String wrong = newHash();
        try (LogCapture log = new LogCapture();
             StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false);
             GatehouseHarness gatehouse = gatehouse(plex.uri(name(wrong)), tlsProvider).start())
        {
            ContentResponse response = gatehouse.http1().GET(gatehouse.uri("/library/sections"));
            assertEquals(502, response.getStatus());
            assertTrue(plex.requests().isEmpty());
            log.await("does not match the configured " + name(wrong), 5000);
            // The probe tells the operator the hash the server has now.
            String hint = log.await("now presents *." + hash + ".plex.direct", 5000);
            assertTrue(hint.contains("gatehouse.upstream=https://" + name(hash) + ":" + plex.port()), hint);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"conscrypt", "jdk"})
    void aWrongCaIsA502WithAClearLogLine(String tlsProvider) throws Exception
    {
        String hash = newHash();
        TestCertificates.Authority other = TestCertificates.newAuthority("Someone else's CA");
        try (LogCapture log = new LogCapture();
             StandInUpstream plex = StandInUpstream.tls(plexCertificate(other, hash), false);
             GatehouseHarness gatehouse = gatehouse(plex.uri(name(hash)), tlsProvider).start())
        {
            ContentResponse response = gatehouse.http1().GET(gatehouse.uri("/"));
            assertEquals(502, response.getStatus());
            String line = log.await("is not trusted", 5000);
            assertTrue(line.contains("gatehouse.upstream.trust-store"), line);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"conscrypt", "jdk"})
    void aWrongCaFailsDiscoveryAtStartWithWhatToConfigure(String tlsProvider) throws Exception
    {
        TestCertificates.Authority other = TestCertificates.newAuthority("Someone else's CA");
        try (StandInUpstream plex = StandInUpstream.tls(plexCertificate(other, newHash()), false))
        {
            Exception error = assertThrows(Exception.class, () -> gatehouse(plex.uri(), tlsProvider).start().close());
            String message = messages(error);
            assertTrue(message.contains("is not trusted") && message.contains("gatehouse.upstream.trust-store"), message);
        }
    }

    @Test
    void theNameIsDiscoveredFromTheAddressAloneBeforeTheFirstRequest() throws Exception
    {
        String hash = newHash();
        try (LogCapture log = new LogCapture();
             StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false);
             GatehouseHarness gatehouse = gatehouse(plex.uri()).start())
        {
            assertEquals(URI.create("https://" + name(hash) + ":" + plex.port()), gatehouse.gatehouse().defaultProxy().route().uri());
            assertFalse(log.lines("discovered " + name(hash)).isEmpty(), log.text());
            ContentResponse response = gatehouse.http1().GET(gatehouse.uri("/identity"));
            assertEquals(200, response.getStatus());
            assertEquals(name(hash), plex.lastRequest().sni());
        }
    }

    @Test
    void discoveryIsInPlaceWhenAnotherPluginsHandlerMovesTheProxyLastInStartOrder() throws Exception
    {
        // A plugin with a handler makes the host re-insert the server's handler, which then starts
        // after every managed bean; discovery does not depend on that order.
        String hash = newHash();
        try (StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false);
             GatehouseHarness gatehouse = gatehouse(plex.uri()).plugin(TestPlugin.handler("pass-through", Slot.ACCESS, new Handler.Wrapper())).start())
        {
            assertEquals(name(hash), gatehouse.gatehouse().defaultProxy().route().uri().getHost());
            assertEquals(200, gatehouse.http2().GET(gatehouse.uri("/x")).getStatus());
            assertEquals(name(hash), plex.lastRequest().sni());
        }
    }

    @Test
    void aRenewedCertificateWithANewHashIsFollowed() throws Exception
    {
        String first = newHash();
        String renewed = newHash();
        try (LogCapture log = new LogCapture())
        {
            StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), first), false);
            int port = plex.port();
            try (GatehouseHarness gatehouse = gatehouse(plex.uri()).start())
            {
                assertEquals(200, gatehouse.http1().GET(gatehouse.uri("/a")).getStatus());
                assertEquals(name(first), plex.lastRequest().sni());

                // Plex restarts with a new certificate on the same address.
                plex.close();
                plex = StandInUpstream.tls(plexCertificate(ca.authority(), renewed), false, port);
                // The first request fails its TLS handshake (the name no longer matches) and
                // triggers a re-read of the certificate; the route then follows.
                assertEquals(502, gatehouse.http1().GET(gatehouse.uri("/b")).getStatus());
                log.await("rediscovered", 10_000);
                assertEquals(name(renewed), gatehouse.gatehouse().defaultProxy().route().uri().getHost());
                assertEquals(200, gatehouse.http1().GET(gatehouse.uri("/c")).getStatus());
                assertEquals(name(renewed), plex.lastRequest().sni());
            }
            finally
            {
                plex.close();
            }
        }
    }

    @Test
    void aCertificateThatIsNotPlexDirectFailsStartWithWhatToConfigure() throws Exception
    {
        try (StandInUpstream other = StandInUpstream.tls(ca.issue("nas.example", "nas.example", "127.0.0.1"), false))
        {
            Exception error = assertThrows(Exception.class, () -> gatehouse(other.uri()).start().close());
            String message = messages(error);
            assertTrue(message.contains("is not a Plex plex.direct certificate"), message);
            assertTrue(message.contains("gatehouse.upstream=https://<a-b-c-d>.<hash>.plex.direct:" + other.port()), message);
        }
    }

    @Test
    void aMalformedNameFailsStartWithAClearMessage()
    {
        Exception error = assertThrows(Exception.class, () -> gatehouse(URI.create("https://127-0-0-1.abc123.plex.direct:32400")).start().close());
        String message = messages(error);
        assertTrue(message.contains("gatehouse.upstream") && message.contains("32 hexadecimal digits"), message);
    }

    @Test
    void plexDownAtStartIsAWarningAndDiscoveryHappensLater() throws Exception
    {
        String hash = newHash();
        int port;
        try (StandInUpstream probe = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false))
        {
            port = probe.port();
        }
        try (LogCapture log = new LogCapture();
             GatehouseHarness gatehouse = gatehouse(URI.create("https://127.0.0.1:" + port)).start())
        {
            log.await("cannot read the certificate of 127.0.0.1:" + port, 5000);
            assertEquals(502, gatehouse.http1().GET(gatehouse.uri("/a")).getStatus());
            try (StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false, port))
            {
                // Without a TLS failure to react to, the retry timer (30 s) would find it; a
                // request that fails its handshake against the bare address triggers it at once.
                assertEquals(502, gatehouse.http1().GET(gatehouse.uri("/b")).getStatus());
                log.await("rediscovered " + name(hash), 10_000);
                assertEquals(200, gatehouse.http1().GET(gatehouse.uri("/c")).getStatus());
                assertEquals(name(hash), plex.lastRequest().sni());
            }
        }
    }

    @Test
    void theSourceAddressIsTheConfiguredOne() throws Exception
    {
        String hash = newHash();
        try (StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false);
             GatehouseHarness gatehouse = gatehouse(plex.uri()).property("gatehouse.plex-direct.source-address", "127.0.0.2").start())
        {
            assertEquals(200, gatehouse.http1().GET(gatehouse.uri("/x")).getStatus());
            // The discovery probe and the proxied requests both come from the bound address.
            assertEquals("127.0.0.2", plex.lastRequest().remoteAddress());
        }
    }

    @Test
    void aSourceAddressThatIsNotLocalFailsStart()
    {
        Exception error = assertThrows(Exception.class, () -> gatehouse(URI.create("https://127.0.0.1:1"))
            .property("gatehouse.plex-direct.source-address", "192.0.2.77").start().close());
        assertTrue(messages(error).contains("is not an address of this machine"), messages(error));
    }

    @Test
    void anIpv6SourceAddressIsAConfigurationProblem()
    {
        Exception error = assertThrows(Exception.class, () -> gatehouse(URI.create("https://127.0.0.1:1"))
            .property("gatehouse.plex-direct.source-address", "::1").start().close());
        assertTrue(messages(error).contains("gatehouse.plex-direct.source-address"), messages(error));
        assertTrue(messages(error).contains("IPv6"), messages(error));
    }

    @Test
    void theDuplicateContentLengthOfLibraryStreamsIsProxiedIntact() throws Exception
    {
        String hash = newHash();
        String subtitles = "1\r\n00:00:01,000 --> 00:00:02,000\r\nHello\r\n";
        String raw = "HTTP/1.1 200 OK\r\nContent-Type: text/srt\r\nContent-Length: " + subtitles.length() + "\r\nContent-Length: " + subtitles.length() + "\r\n\r\n" + subtitles;
        try (RawUpstream plex = new RawUpstream(plexCertificate(ca.authority(), hash), raw);
             GatehouseHarness gatehouse = gatehouse(URI.create("https://" + name(hash) + ":" + plex.port())).start())
        {
            for (var client : List.of(gatehouse.http1(), gatehouse.http2()))
            {
                ContentResponse response = client.GET(gatehouse.uri("/library/streams/42"));
                assertEquals(200, response.getStatus());
                assertEquals(subtitles, response.getContentAsString());
                assertEquals(List.of(String.valueOf(subtitles.length())), response.getHeaders().getValuesList(HttpHeader.CONTENT_LENGTH));
            }
        }
    }

    @Test
    void withoutThePluginJettyRefusesTheDuplicateContentLength() throws Exception
    {
        // Documents why the plugin sets the compliance mode: Jetty's client default (RFC 9110)
        // fails the response, like nginx does.
        String raw = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok";
        try (RawUpstream plex = new RawUpstream(ca.issue("localhost", "localhost"), raw);
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(URI.create("https://localhost:" + plex.port()))
                 .property("gatehouse.upstream.trust-store", ca.pem().toString())
                 .start())
        {
            assertEquals(502, gatehouse.http1().GET(gatehouse.uri("/library/streams/42")).getStatus());
            assertEquals(1, plex.requests());
        }
    }

    @Test
    void plexTokensNeverReachTheLog() throws Exception
    {
        String hash = newHash();
        String token = "SeCrEtToKeN" + newHash();
        try (LogCapture log = new LogCapture();
             StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false);
             GatehouseHarness gatehouse = gatehouse(plex.uri(name(newHash()))).start())
        {
            ContentResponse response = gatehouse.http1().newRequest(gatehouse.uri("/library/parts/1/file.mkv?X-Plex-Token=" + token + "&x=1"))
                .headers(headers -> headers.put("X-Plex-Token", token).put("X-Plex-Client-Identifier", "abc"))
                .send();
            assertEquals(502, response.getStatus());
            log.await("now presents", 5000);
            assertFalse(log.text().contains(token), "the token was logged:\n" + log.text());
        }
    }

    @Test
    void xPlexHeadersAndQueryPassUntouched() throws Exception
    {
        String hash = newHash();
        try (StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false);
             GatehouseHarness gatehouse = gatehouse(plex.uri()).start())
        {
            ContentResponse response = gatehouse.http1().newRequest(gatehouse.uri("/library/sections?X-Plex-Token=t0k&X-Plex-Container-Size=50"))
                .headers(headers -> headers.put("X-Plex-Token", "t0k").put("X-Plex-Product", "Plex Web").put("X-Plex-Container-Start", "0"))
                .send();
            assertEquals(200, response.getStatus());
            RecordedRequest received = plex.lastRequest();
            assertEquals("/library/sections?X-Plex-Token=t0k&X-Plex-Container-Size=50", received.pathQuery());
            assertEquals("t0k", received.header("X-Plex-Token"));
            assertEquals("Plex Web", received.header("X-Plex-Product"));
            assertEquals("0", received.header("X-Plex-Container-Start"));
        }
    }

    @Test
    void identityIsLoggedAtStart() throws Exception
    {
        String hash = newHash();
        try (LogCapture log = new LogCapture();
             StandInUpstream plex = StandInUpstream.tls(plexCertificate(ca.authority(), hash), false).handler(new IdentityHandler());
             GatehouseHarness gatehouse = gatehouse(plex.uri()).start())
        {
            String line = log.await("Plex Media Server at", 5000);
            assertTrue(line.contains("machineIdentifier=0123456789abcdef0123456789abcdef01234567"), line);
            assertTrue(line.contains("version=1.41.3.9314-a0bfb8370"), line);
            assertNotNull(gatehouse);
        }
    }

    static String messages(Throwable error)
    {
        StringBuilder text = new StringBuilder();
        for (Throwable cause = error; cause != null; cause = cause.getCause())
        {
            text.append(cause).append('\n');
            for (Throwable suppressed : cause.getSuppressed())
                text.append(suppressed).append('\n');
        }
        return text.toString();
    }

    /**
     * Answers /identity like Plex does (XML).
     */
    static final class IdentityHandler extends Handler.Abstract.NonBlocking
    {
        @Override
        public boolean handle(Request request, Response response, Callback callback)
        {
            if (!"/identity".equals(Request.getPathInContext(request)))
                return false;
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/xml;charset=utf-8");
            Content.Sink.write(response, true, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MediaContainer size=\"0\" apiVersion=\"1.1.1\" claimed=\"1\" machineIdentifier=\"0123456789abcdef0123456789abcdef01234567\" version=\"1.41.3.9314-a0bfb8370\">\n</MediaContainer>\n", callback);
            return true;
        }
    }
}
