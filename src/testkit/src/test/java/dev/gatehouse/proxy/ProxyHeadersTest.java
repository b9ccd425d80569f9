package dev.gatehouse.proxy;

import java.nio.file.Path;
import java.util.List;

import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.StandInUpstream.RecordedRequest;
import dev.gatehouse.testkit.TestCertificates;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request and response header cases of research/jetty.md section 2, over real TLS, for HTTP/1.1
 * and HTTP/2 clients in front of HTTP/1.1 and HTTP/2 upstreams.
 */
class ProxyHeadersTest
{
    @TempDir
    Path temporary;

    @ParameterizedTest(name = "client {0}, upstream {1}")
    @CsvSource({"h1,h1", "h2,h1", "h1,h2", "h2,h2"})
    void hostPolicyIsTheSameForEveryProtocolPair(String clientProtocol, String upstreamProtocol) throws Exception
    {
        TestCertificates.Authority ca = TestCertificates.newAuthority("Test CA");
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), upstreamProtocol.equals("h2"));
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.upstream.protocol", upstreamProtocol.equals("h2") ? "http2" : "http1")
                 .property("gatehouse.upstream.trust-store", ca.writePem(temporary.resolve("ca.pem")).toString())
                 .start())
        {
            HttpClient client = clientProtocol.equals("h2") ? gatehouse.http2() : gatehouse.http1();
            // The public name (in the proxy's certificate) differs from the upstream's address.
            ContentResponse response = client.newRequest(java.net.URI.create("https://localhost:" + gatehouse.httpsPort() + "/echo?x=1")).send();
            assertEquals(200, response.getStatus(), response.getContentAsString());
            RecordedRequest received = upstream.lastRequest();
            assertEquals(upstreamProtocol.equals("h2") ? "HTTP/2.0" : "HTTP/1.1", received.protocol());
            assertEquals(List.of("127.0.0.1:" + upstream.port()), received.values("Host"));
            assertEquals("/echo?x=1", received.pathQuery());
            assertEquals("https", received.header("X-Forwarded-Proto"));
            assertEquals("127.0.0.1", received.header("X-Forwarded-For"));
            assertEquals("localhost:" + gatehouse.httpsPort(), received.header("X-Forwarded-Host"));
            assertEquals(List.of(clientProtocol.equals("h2") ? "2.0 gatehouse" : "1.1 gatehouse"), received.values("Via"));
        }
    }

    /**
     * Query strings that HTTP servers (nginx, Jetty, Plex) accept but {@code java.net.URI} refuses
     * reach the upstream byte for byte, instead of failing with a 500 while building the upstream URI.
     */
    @ParameterizedTest(name = "client {0}: {1}")
    @CsvSource(delimiter = ';', value = {
        "h1;/echo?filter=a|b",
        "h2;/echo?filter=a|b",
        "h1;/echo?sort=title^desc&q=\"x\"",
        "h2;/echo?ids=[1,2]&x=%7C"})
    void queriesThatJavaNetUriRefusesReachTheUpstreamUnchanged(String clientProtocol, String target) throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder().upstream(upstream.uri()).start())
        {
            HttpClient client = clientProtocol.equals("h2") ? gatehouse.http2() : gatehouse.http1();
            // path() keeps a target java.net.URI cannot parse as it is (newRequest(URI) could not send it).
            ContentResponse response = client.newRequest("localhost", gatehouse.httpsPort()).scheme("https").path(target).send();
            assertEquals(200, response.getStatus(), response.getContentAsString());
            assertEquals(target, upstream.lastRequest().pathQuery());
        }
    }

    @Test
    void hopByHopHeadersAreRemovedAndEndToEndOnesKept() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder().upstream(upstream.uri()).start())
        {
            ContentResponse response = gatehouse.http1().newRequest(gatehouse.uri("/echo"))
                .headers(h -> h
                    .put(HttpHeader.USER_AGENT, "TestUA/1.0")
                    .put("Connection", "keep-alive, X-Hop")
                    .put("X-Hop", "drop me")
                    .put("Keep-Alive", "timeout=5")
                    .put("Proxy-Authorization", "Basic Zm9vOmJhcg==")
                    .put("TE", "trailers")
                    .put("X-Plex-Token", "abc")
                    .put("X-Forwarded-For", "6.6.6.6")
                    .put("X_Forwarded_For", "6.6.6.7")
                    .put("Forwarded", "for=5.5.5.5")
                    .put("Via", "1.1 earlier-proxy"))
                .send();
            assertEquals(200, response.getStatus());
            RecordedRequest received = upstream.lastRequest();
            assertEquals(List.of("TestUA/1.0"), received.values("User-Agent"));
            assertNull(received.header("X-Hop"));
            assertNull(received.header("Keep-Alive"));
            assertNull(received.header("Proxy-Authorization"));
            assertNull(received.header("TE"));
            assertEquals("abc", received.header("X-Plex-Token"));
            assertEquals(List.of("127.0.0.1"), received.values("X-Forwarded-For"));
            assertNull(received.header("X_Forwarded_For"));
            assertNull(received.header("Forwarded"));
            String via = received.header("Via");
            assertEquals("1.1 earlier-proxy, 1.1 gatehouse", via);
            assertFalse(via.contains(java.net.InetAddress.getLocalHost().getHostName()));
            assertTrue(received.header("X-Forwarded-Host").startsWith("127.0.0.1"));
        }
    }
}
