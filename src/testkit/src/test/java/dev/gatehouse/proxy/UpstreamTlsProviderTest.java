package dev.gatehouse.proxy;

import java.util.concurrent.TimeUnit;

import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestAuthority;
import org.eclipse.jetty.client.ContentResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The upstream client's TLS engine, Conscrypt (the default where it loads) or the JDK's, over real
 * TLS to upstreams that speak only TLS 1.2 or only TLS 1.3, with HTTP/1.1 and with h2 chosen by
 * ALPN. The failure cases (untrusted CA, another name) for both engines are in ProxyFaultsTest.
 */
class UpstreamTlsProviderTest
{
    @RegisterExtension
    static final TestAuthority ca = new TestAuthority("Upstream TLS Provider Test CA");

    private static String contextProvider(GatehouseHarness gatehouse)
    {
        return gatehouse.gatehouse().defaultProxy().getHttpClient().getSslContextFactory().getSslContext().getProvider().getName();
    }

    @ParameterizedTest(name = "{0} to a {1} upstream over {2}")
    @CsvSource({
        "conscrypt, TLSv1.3, http1", "conscrypt, TLSv1.2, http1", "conscrypt, TLSv1.3, http2", "conscrypt, TLSv1.2, http2",
        "jdk, TLSv1.3, http1", "jdk, TLSv1.2, http1", "jdk, TLSv1.3, http2", "jdk, TLSv1.2, http2"})
    void eitherEngineVerifiesAndReachesTheUpstream(String tlsProvider, String tlsProtocol, String upstreamProtocol) throws Exception
    {
        boolean http2 = upstreamProtocol.equals("http2");
        try (StandInUpstream upstream = StandInUpstream.tlsOnly(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), http2, tlsProtocol);
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.upstream.trust-store", ca.pem().toString())
                 .property("gatehouse.upstream.tls-provider", tlsProvider)
                 .property("gatehouse.upstream.protocol", upstreamProtocol)
                 .start())
        {
            assertEquals(tlsProvider.equals("conscrypt") ? "Conscrypt" : "SunJSSE", contextProvider(gatehouse));
            for (int request = 0; request < 3; request++)
            {
                ContentResponse response = gatehouse.http1().newRequest(gatehouse.uri("/library/sections/" + request)).timeout(10, TimeUnit.SECONDS).send();
                assertEquals(200, response.getStatus(), response.getContentAsString());
                assertEquals("/library/sections/" + request, upstream.lastRequest().pathQuery());
                assertEquals(http2 ? "HTTP/2.0" : "HTTP/1.1", upstream.lastRequest().protocol());
            }
        }
    }

    @Test
    void autoIsConscryptWhereItLoads() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), true);
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.upstream.trust-store", ca.pem().toString())
                 .property("gatehouse.upstream.protocol", "auto")
                 .start())
        {
            assertEquals("Conscrypt", contextProvider(gatehouse));
            assertEquals(200, gatehouse.http2().newRequest(gatehouse.uri("/")).timeout(10, TimeUnit.SECONDS).send().getStatus());
            assertEquals("HTTP/2.0", upstream.lastRequest().protocol());
        }
    }
}
