package dev.gatehouse.plugin.securityheaders;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Comparator;
import java.util.Map;

import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestCertificates;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Scans Gatehouse with the MDN HTTP Observatory's retriever, tests and grader
 * ({@code @mdn/mdn-http-observatory}, run offline on loopback by {@code observatory-scan.mjs}).
 *
 * <p>The certificate is issued by a test CA for {@code localhost} and trusted through
 * {@code NODE_EXTRA_CA_CERTS}, because the Observatory gives no HSTS credit on an unverified
 * chain. Its redirection check needs plain HTTP on the same host redirecting to HTTPS: Gatehouse's
 * redirect listener does that in production (port 80 to 443), but the test kit's HTTPS port is
 * ephemeral and the redirect listener reads it from {@code jetty.ssl.port} at assembly, so a
 * three-line stand-in on a loopback port does the same redirect here.</p>
 */
class ObservatoryTest
{
    static final String STATIC_PAGE = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Static</title></head><body><p>Hello</p></body></html>";
    private static TestCertificates.Authority authority;
    private static Path directory;

    @BeforeAll
    static void setUp() throws Exception
    {
        NodeTools.assumeAvailable("@mdn/mdn-http-observatory");
        authority = TestCertificates.newAuthority("Observatory Test CA");
        directory = Files.createTempDirectory("observatory");
    }

    @AfterAll
    static void tearDown() throws Exception
    {
        if (directory != null)
        {
            try (var files = Files.walk(directory))
            {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            }
        }
    }

    @Test
    void theStrictPresetOnAStaticPageScoresAPlus() throws Exception
    {
        Map<?, ?> scan = scan("strict", STATIC_PAGE);
        System.out.println("observatory strict: " + Json.write(scan));
        assertEquals("A+", scan.get("grade"), Json.write(scan));
        assertEquals(true, scan.get("verified"));
    }

    @Test
    void thePlexPresetsScoreIsRecorded() throws Exception
    {
        // Plex Web needs 'unsafe-eval' (the forum guide), which costs 10 points; recorded in the note.
        Map<?, ?> scan = scan("plex", CspBrowserTest.PAGE);
        System.out.println("observatory plex: " + Json.write(scan));
        assertNotNull(scan.get("grade"), Json.write(scan));
    }

    private static Map<?, ?> scan(String preset, String page) throws Exception
    {
        Path base = Files.createTempDirectory(directory, "base-" + preset);
        installCertificate(base.resolve("etc/gatehouse/self-signed-localhost.p12"));
        Path caPem = authority.writePem(directory.resolve("ca-" + preset + ".pem"));
        try (StandInUpstream upstream = StandInUpstream.plain().handler(new Pages().html("/", page));
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .base(base)
                 .upstream(upstream.uri())
                 .plugin(new SecurityHeadersPlugin())
                 .property("gatehouse.security-headers.preset", preset)
                 .start())
        {
            Server redirect = redirectServer(gatehouse.httpsPort());
            try
            {
                int httpPort = ((ServerConnector)redirect.getConnectors()[0]).getLocalPort();
                NodeTools.Result run = NodeTools.run(Map.of("NODE_EXTRA_CA_CERTS", caPem.toString()), 120,
                    "observatory-scan.mjs", "localhost", String.valueOf(httpPort), String.valueOf(gatehouse.httpsPort()));
                String line = run.jsonLine();
                assertNotNull(line, "the Observatory printed no result (exit " + run.exitCode() + "): " + run.stderr() + run.stdout());
                return (Map<?, ?>)Json.parse(line);
            }
            finally
            {
                redirect.stop();
            }
        }
    }

    /**
     * Puts a certificate for localhost from the test CA where Gatehouse looks for its self-signed one.
     */
    private static void installCertificate(Path file) throws Exception
    {
        KeyStore issued = authority.issue("localhost", "localhost", "127.0.0.1");
        Key key = issued.getKey("server", TestCertificates.PASSWORD.toCharArray());
        Certificate[] chain = issued.getCertificateChain("server");
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("localhost", key, "gatehouse-self-signed".toCharArray(), chain);
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file))
        {
            store.store(out, "gatehouse-self-signed".toCharArray());
        }
    }

    private static Server redirectServer(int httpsPort) throws Exception
    {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.setStatus(HttpStatus.MOVED_PERMANENTLY_301);
                response.getHeaders().put(HttpHeader.LOCATION, "https://localhost:" + httpsPort + request.getHttpURI().getPathQuery());
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
                callback.succeeded();
                return true;
            }
        });
        server.start();
        return server;
    }
}
