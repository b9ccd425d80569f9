package dev.gatehouse.dist;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;

import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestCertificates;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The assembled distribution, started with start.jar as a separate process.
 */
class DistributionIT
{
    private static HttpClient http1;
    private static HttpClient http2;

    @BeforeAll
    static void clients() throws Exception
    {
        http1 = client(false);
        http2 = client(true);
    }

    @AfterAll
    static void stopClients() throws Exception
    {
        http1.stop();
        http2.stop();
    }

    static HttpClient client(boolean h2) throws Exception
    {
        ClientConnector connector = new ClientConnector();
        // Gatehouse's first-run certificate is self-signed: this client is a test's, not a user's.
        connector.setSslContextFactory(new SslContextFactory.Client(true));
        HttpClient client = new HttpClient(h2
            ? new HttpClientTransportDynamic(connector, new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(connector)))
            : new HttpClientTransportDynamic(connector, HttpClientConnectionFactory.HTTP11));
        client.setUserAgentField(null);
        client.start();
        return client;
    }

    @Test
    void proxiesHttp1AndHttp2ClientsToATlsUpstream() throws Exception
    {
        TestCertificates.Authority ca = TestCertificates.newAuthority("Upstream CA");
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), false);
             Distribution distribution = Distribution.fromTarball())
        {
            Path trust = ca.writePem(distribution.base().resolve("etc/upstream-ca.pem"));
            int port = Distribution.freePort();
            Distribution.Running gatehouse = distribution.start(List.of(),
                "jetty.ssl.port=" + port,
                "gatehouse.upstream=" + upstream.uri(),
                "gatehouse.upstream.trust-store=" + distribution.base().relativize(trust));
            assertTrue(gatehouse.output().contains("Gatehouse handler chain, outermost first:"), gatehouse.output());
            assertTrue(gatehouse.output().contains("listening  https://localhost:" + port), gatehouse.output());
            assertTrue(gatehouse.output().contains("reverse proxy to " + upstream.uri() + " (http1, TLS by Conscrypt)"), gatehouse.output());

            for (HttpClient client : List.of(http1, http2))
            {
                ContentResponse response = client.newRequest(URI.create("https://localhost:" + port + "/library/sections?X-Plex-Token=t"))
                    .headers(headers -> headers.put("User-Agent", "PlexTest/1.0"))
                    .send();
                assertEquals(200, response.getStatus(), response.getContentAsString());
                StandInUpstream.RecordedRequest received = upstream.lastRequest();
                assertEquals("/library/sections?X-Plex-Token=t", received.pathQuery());
                assertEquals(List.of("PlexTest/1.0"), received.values("User-Agent"));
                assertEquals(List.of("127.0.0.1:" + upstream.port()), received.values("Host"));
                assertEquals("localhost:" + port, received.header("X-Forwarded-Host"));
                assertEquals("1.1 gatehouse".equals(received.header("Via")) || "2.0 gatehouse".equals(received.header("Via")), true, received.header("Via"));
                assertNull(response.getHeaders().get("Server"));
            }
            assertEquals("HTTP/1.1 " + upstream.requests().size(), "HTTP/1.1 2");

            // Jetty's SNI host check (jetty.ssl.sniHostCheck, on by default), made once per
            // connection and host name: a Host the certificate does not name is refused each time,
            // and on the same connection a named one still passes.
            for (int i = 0; i < 2; i++)
            {
                ContentResponse refused = http1.newRequest(URI.create("https://localhost:" + port + "/library"))
                    .headers(headers -> headers.put("Host", "elsewhere.test"))
                    .send();
                assertEquals(400, refused.getStatus(), refused.getContentAsString());
                assertEquals(200, http1.newRequest(URI.create("https://localhost:" + port + "/library")).send().getStatus());
            }
            assertEquals(4, upstream.requests().size());
        }
    }

    /**
     * The upstream client's TLS in the assembled distribution: Conscrypt by default, offering h2 by
     * ALPN through the jetty-alpn-conscrypt-client jar the base ships, and the JDK's when asked.
     */
    @Test
    void theUpstreamClientSpeaksH2OverConscryptByDefaultAndOverTheJdksTlsWhenAsked() throws Exception
    {
        TestCertificates.Authority ca = TestCertificates.newAuthority("Upstream CA");
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), true);
             Distribution distribution = Distribution.fromTarball())
        {
            Path trust = ca.writePem(distribution.base().resolve("etc/upstream-ca.pem"));
            for (String provider : List.of("auto", "jdk"))
            {
                int port = Distribution.freePort();
                Distribution.Running gatehouse = distribution.start(List.of(),
                    "jetty.ssl.port=" + port,
                    "gatehouse.upstream=" + upstream.uri(),
                    "gatehouse.upstream.protocol=http2",
                    "gatehouse.upstream.tls-provider=" + provider,
                    "gatehouse.upstream.trust-store=" + distribution.base().relativize(trust));
                String engine = provider.equals("auto") ? "Conscrypt" : "the JDK";
                assertTrue(gatehouse.output().contains("reverse proxy to " + upstream.uri() + " (http2, TLS by " + engine + ")"), gatehouse.output());
                ContentResponse response = http1.newRequest(URI.create("https://localhost:" + port + "/library/sections")).send();
                assertEquals(200, response.getStatus(), response.getContentAsString());
                assertEquals("HTTP/2.0", upstream.lastRequest().protocol());
                gatehouse.stop(Duration.ofSeconds(30));
            }
        }
    }

    /**
     * With no gatehouse.upstream.trust-store the upstream is checked against the JDK's own trust
     * configuration, javax.net.ssl.trustStore included, whichever engine encrypts: the CA set does
     * not change with the engine, and an upstream outside it is still refused.
     */
    @Test
    void withoutATrustStoreTheJdksOwnTrustConfigurationDecidesForEitherEngine() throws Exception
    {
        TestCertificates.Authority ca = TestCertificates.newAuthority("JVM-wide CA");
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), false);
             Distribution distribution = Distribution.fromTarball())
        {
            KeyStore jvmTrust = KeyStore.getInstance("PKCS12");
            jvmTrust.load(null, null);
            jvmTrust.setCertificateEntry("ca", ca.certificate());
            Path trustStore = TestCertificates.writePkcs12(distribution.base().resolve("etc/jvm-trust.p12"), jvmTrust);
            for (String provider : List.of("auto", "jdk"))
            {
                for (boolean trusted : new boolean[]{true, false})
                {
                    int port = Distribution.freePort();
                    List<String> jvmOptions = trusted
                        ? List.of("-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStorePassword=" + TestCertificates.PASSWORD)
                        : List.of();
                    Distribution.Running gatehouse = distribution.start(jvmOptions,
                        "jetty.ssl.port=" + port,
                        "gatehouse.upstream=" + upstream.uri(),
                        "gatehouse.upstream.tls-provider=" + provider);
                    String engine = provider.equals("auto") ? "Conscrypt" : "the JDK";
                    assertTrue(gatehouse.output().contains("reverse proxy to " + upstream.uri() + " (http1, TLS by " + engine + ")"), gatehouse.output());
                    ContentResponse response = http1.newRequest(URI.create("https://localhost:" + port + "/library")).send();
                    assertEquals(trusted ? 200 : 502, response.getStatus(), provider + ", trusted " + trusted + ": " + response.getContentAsString());
                    gatehouse.stop(Duration.ofSeconds(30));
                }
            }
        }
    }

    @Test
    void theForwardedPluginGivesTheUpstreamTheRealClientForHttp1AndHttp2() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             Distribution distribution = Distribution.fromTarball())
        {
            int port = Distribution.freePort();
            // cloudflared on this machine is the trusted hop: what it says about the client counts.
            distribution.start(List.of(), "jetty.ssl.port=" + port, "gatehouse.upstream=" + upstream.uri(),
                "gatehouse.forwarded.internal-proxies=loopback");
            for (HttpClient client : List.of(http1, http2))
            {
                ContentResponse response = client.newRequest(URI.create("https://localhost:" + port + "/identity"))
                    .headers(headers -> headers
                        .put("X-Forwarded-For", "198.51.100.23, 203.0.113.7")
                        .put("X-Real-IP", "10.6.6.6")
                        .put("X_Forwarded_For", "10.6.6.6"))
                    .send();
                assertEquals(200, response.getStatus());
                StandInUpstream.RecordedRequest received = upstream.lastRequest();
                assertEquals(List.of("203.0.113.7"), received.values("X-Forwarded-For"));
                assertEquals("203.0.113.7", received.header("X-Real-IP"));
                assertNull(received.header("X_Forwarded_For"));
                assertEquals("https", received.header("X-Forwarded-Proto"));
            }
        }
    }

    @Test
    void aMisspelledPropertyStopsStartUpWithASuggestion() throws Exception
    {
        try (Distribution distribution = Distribution.fromTarball())
        {
            Files.writeString(distribution.base().resolve("start.d/gatehouse.ini"), "\ngatehouse.upstrem=http://127.0.0.1:32400\ngatehouse.upstream.idle-timeout=ten minutes\n", java.nio.file.StandardOpenOption.APPEND);
            Distribution.Result result = distribution.startExpectingExit("jetty.ssl.port=" + Distribution.freePort());
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("Gatehouse cannot start: 2 configuration problems"), result.output());
            assertTrue(result.output().contains("gatehouse.upstrem: unknown property; did you mean gatehouse.upstream?"), result.output());
            assertTrue(result.output().contains("gatehouse.upstream.idle-timeout: 'ten minutes' is not valid: expected a duration such as 500ms, 30s, 10m, 2h or 7d"), result.output());
        }
    }

    @Test
    void jettysOwnForwardedModuleIsRefused() throws Exception
    {
        try (Distribution distribution = Distribution.fromTarball())
        {
            Distribution.Result enable = distribution.startJar("--add-modules=forwarded");
            assertEquals(0, enable.exitCode(), enable.output());
            Distribution.Result result = distribution.startExpectingExit("jetty.ssl.port=" + Distribution.freePort());
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("Jetty's 'forwarded' module is enabled: it believes X-Forwarded-For and Forwarded from every client"), result.output());
        }
    }

    @Test
    void dropsIntoAFreshBaseWithStartDOrWithASingleStartIni() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain())
        {
            for (boolean singleStartIni : new boolean[]{false, true})
            {
                try (Distribution distribution = Distribution.emptyBase())
                {
                    // What a user copies from the tarball into their own base: modules, etc, lib.
                    for (String directory : List.of("modules", "etc", "lib/gatehouse"))
                        copyTree(Distribution.BUILT_BASE.resolve(directory), distribution.base().resolve(directory));
                    Files.deleteIfExists(distribution.base().resolve("etc/gatehouse/self-signed-localhost.p12"));
                    Distribution.Result added = singleStartIni
                        ? distribution.startJar("--approve-all-licenses", "--add-modules=gatehouse", "--create-start-ini")
                        : distribution.startJar("--approve-all-licenses", "--add-modules=gatehouse");
                    assertEquals(0, added.exitCode(), added.output());
                    assertEquals(singleStartIni, Files.exists(distribution.base().resolve("start.ini")));
                    assertEquals(!singleStartIni, Files.exists(distribution.base().resolve("start.d/gatehouse.ini")));
                    String template = Files.readString(distribution.base().resolve(singleStartIni ? "start.ini" : "start.d/gatehouse.ini"));
                    assertTrue(template.contains("# gatehouse.upstream=http://127.0.0.1:32400"), template);

                    int port = Distribution.freePort();
                    distribution.start(List.of(), "jetty.ssl.port=" + port, "gatehouse.upstream=" + upstream.uri());
                    ContentResponse response = http2.GET("https://localhost:" + port + "/echo");
                    assertEquals(200, response.getStatus());
                    assertTrue(Files.exists(distribution.base().resolve("etc/gatehouse/self-signed-localhost.p12")));
                }
            }
        }
    }

    static void deleteTree(Path path) throws Exception
    {
        if (!Files.exists(path))
            return;
        try (var files = Files.walk(path))
        {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList())
                Files.delete(file);
        }
    }

    static void copyTree(Path from, Path to) throws Exception
    {
        try (var files = Files.walk(from))
        {
            for (Path file : files.toList())
            {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file))
                    Files.createDirectories(target);
                else
                    Files.copy(file, target);
            }
        }
    }
}
