package dev.gatehouse.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import dev.gatehouse.core.config.InvalidConfigurationException;
import dev.gatehouse.core.tls.CertificateReloader;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.LoopbackResolver;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestCertificates;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.logging.JettyLogger;
import org.eclipse.jetty.logging.StdErrAppender;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code gatehouse.tls.certificates} on the real HTTPS listener: the certificate a client gets by
 * SNI, and certificate files replaced while Gatehouse runs, checked with real handshakes.
 */
class CertificatesTest
{
    private static TestCertificates.Authority authority;
    private static TrustManagerFactory trust;

    @TempDir
    Path directory;

    @BeforeAll
    static void trustTheTestAuthority() throws Exception
    {
        authority = TestCertificates.newAuthority("Gatehouse Test CA");
        trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(authority.trustStore());
    }

    /**
     * A certificate and its key, as an ACME client leaves them.
     */
    private record Issued(X509Certificate leaf, X509Certificate issuer, PrivateKey key)
    {
        static Issued of(String commonName, String... names) throws Exception
        {
            KeyStore store = authority.issue(commonName, names);
            var chain = store.getCertificateChain("server");
            return new Issued((X509Certificate)chain[0], (X509Certificate)chain[1], (PrivateKey)store.getKey("server", TestCertificates.PASSWORD.toCharArray()));
        }

        /**
         * Writes fullchain.pem and privkey.pem into a certbot-like directory, each atomically.
         */
        void writeCertbot(Path live) throws Exception
        {
            writeChain(live);
            writeKey(live);
        }

        void writeChain(Path live) throws Exception
        {
            replace(live.resolve("fullchain.pem"), leaf, issuer);
        }

        void writeKey(Path live) throws Exception
        {
            replace(live.resolve("privkey.pem"), new JcaPKCS8Generator(key, null));
        }

        Path writeCombined(Path file) throws Exception
        {
            return TestCertificates.writePem(file, leaf, issuer, new JcaPKCS8Generator(key, null));
        }
    }

    private static void replace(Path file, Object... objects) throws IOException
    {
        Path temporary = TestCertificates.writePem(file.resolveSibling(file.getFileName() + ".tmp"), objects);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * @param sni the name to send, or null for none (as when connecting by address)
     * @return the certificate the server presented on a new connection
     */
    private static X509Certificate handshake(GatehouseHarness gatehouse, String sni) throws IOException
    {
        // A client of its own each time: a cached session would be resumed with its old certificate.
        SSLContext client;
        try
        {
            client = SSLContext.getInstance("TLS");
            client.init(null, trust.getTrustManagers(), null);
        }
        catch (java.security.GeneralSecurityException e)
        {
            throw new IllegalStateException(e);
        }
        try (SSLSocket socket = (SSLSocket)client.getSocketFactory().createSocket(new Socket("127.0.0.1", gatehouse.httpsPort()), "127.0.0.1", gatehouse.httpsPort(), true))
        {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
            socket.setSSLParameters(parameters);
            socket.setSoTimeout(30_000);
            socket.startHandshake();
            return (X509Certificate)socket.getSession().getPeerCertificates()[0];
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
                throw new AssertionError("not within 30 s: " + what);
            Thread.sleep(20);
        }
    }

    private static CertificateReloader reloader(GatehouseHarness gatehouse)
    {
        return gatehouse.server().getBean(CertificateReloader.class);
    }

    @Test
    void certificateChosenBySniAndTheFirstForEveryoneElse() throws Exception
    {
        Issued a = Issued.of("a.test", "a.test");
        Issued b = Issued.of("b.test", "b.test", "*.b.test");
        Path aFile = a.writeCombined(directory.resolve("a.pem"));
        Path bDirectory = directory.resolve("live/b.test");
        b.writeCertbot(bDirectory);
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.tls.certificates", aFile + "," + bDirectory)
                 .start())
        {
            assertEquals(a.leaf(), handshake(gatehouse, "a.test"));
            assertEquals(b.leaf(), handshake(gatehouse, "b.test"));
            assertEquals(b.leaf(), handshake(gatehouse, "media.b.test"));
            assertEquals(a.leaf(), handshake(gatehouse, null), "no SNI: the first entry");
            assertEquals(a.leaf(), handshake(gatehouse, "unknown.test"), "a name no certificate covers: the first entry");
            HttpClient browser = namedClient();
            assertEquals(200, browser.GET(URI.create("https://www.b.test:" + gatehouse.httpsPort() + "/status/200")).getStatus());
            assertEquals(200, browser.GET(URI.create("https://a.test:" + gatehouse.httpsPort() + "/status/200")).getStatus());
            browser.stop();
        }
    }

    @Test
    void certificateReplacedDuringADownload() throws Exception
    {
        Issued old = Issued.of("media.test", "media.test");
        Issued renewed = Issued.of("media.test", "media.test");
        Path live = directory.resolve("live/media.test");
        old.writeCertbot(live);
        long size = 32L * 1024 * 1024;
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.tls.certificates", live.toString())
                 .property("gatehouse.tls.scan-interval", "100ms")
                 .start())
        {
            assertEquals(old.leaf(), handshake(gatehouse, "media.test"));
            InputStreamResponseListener listener = new InputStreamResponseListener();
            HttpClient browser = namedClient();
            browser.newRequest(URI.create("https://media.test:" + gatehouse.httpsPort() + "/bytes/" + size)).send(listener);
            Response response = listener.get(30, TimeUnit.SECONDS);
            assertEquals(200, response.getStatus());
            try (InputStream body = listener.getInputStream())
            {
                long position = readAndCheck(body, 0, 1024 * 1024);
                // The rest of the download waits on this client; meanwhile the certificate is renewed.
                renewed.writeCertbot(live);
                await("a new connection presents the renewed certificate", () ->
                {
                    try
                    {
                        return renewed.leaf().equals(handshake(gatehouse, "media.test"));
                    }
                    catch (IOException e)
                    {
                        throw new AssertionError(e);
                    }
                });
                assertTrue(upstream.bytesSent() < size, "the download was still in flight when the certificate changed");
                position = readAndCheck(body, position, Long.MAX_VALUE);
                assertEquals(size, position, "the download completed intact");
            }
            assertEquals(1, reloader(gatehouse).reloads());
            assertEquals(0, reloader(gatehouse).failures());
            browser.stop();
        }
    }

    /**
     * @return a started HTTP/1.1 client that verifies the server against the test CA and the host
     *     name, and connects every name to 127.0.0.1
     */
    private static HttpClient namedClient() throws Exception
    {
        SslContextFactory.Client tls = new SslContextFactory.Client();
        tls.setTrustStore(authority.trustStore());
        ClientConnector connector = new ClientConnector();
        connector.setSslContextFactory(tls);
        HttpClient client = new HttpClient(new HttpClientTransportDynamic(connector, HttpClientConnectionFactory.HTTP11));
        client.setSocketAddressResolver(new LoopbackResolver());
        client.start();
        return client;
    }

    /**
     * Reads up to {@code limit} more bytes (or to the end), checking each against the pattern.
     *
     * @return the position reached
     */
    private static long readAndCheck(InputStream body, long position, long limit) throws IOException
    {
        byte[] buffer = new byte[64 * 1024];
        long end = limit == Long.MAX_VALUE ? Long.MAX_VALUE : position + limit;
        while (position < end)
        {
            int read = body.read(buffer, 0, (int)Math.min(buffer.length, end - position));
            if (read < 0)
                break;
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != StandInUpstream.patternByte(position + i))
                    throw new AssertionError("byte " + (position + i) + " is wrong");
            }
            position += read;
        }
        return position;
    }

    @Test
    void mismatchingReplacementIsRefusedUntilFixed() throws Exception
    {
        Issued old = Issued.of("app.test", "app.test");
        Issued renewed = Issued.of("app.test", "app.test");
        Path live = directory.resolve("live/app.test");
        old.writeCertbot(live);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        StdErrAppender appender = (StdErrAppender)((JettyLogger)LoggerFactory.getLogger(CertificateReloader.class)).getAppender();
        PrintStream original = appender.getStream();
        appender.setStream(new PrintStream(new TeeStream(original == null ? System.err : original, log), true, StandardCharsets.UTF_8));
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.tls.certificates", live.toString())
                 .property("gatehouse.tls.scan-interval", "100ms")
                 .start())
        {
            CertificateReloader reloader = reloader(gatehouse);
            // Only the key is replaced: it does not match the certificate.
            renewed.writeKey(live);
            await("the mismatch is judged", () -> reloader.failures() == 1);
            assertEquals(live.resolve("fullchain.pem") + ": the certificate for app.test does not match the private key in " + live.resolve("privkey.pem"), reloader.lastFailure());
            String logged = log.toString(StandardCharsets.UTF_8);
            assertTrue(logged.contains("ERROR") && logged.contains("NOT reloaded") && logged.contains(live.resolve("privkey.pem").toString()), logged);
            assertEquals(old.leaf(), handshake(gatehouse, "app.test"), "the previous certificate is still served");
            renewed.writeChain(live);
            await("the fixed files are applied", () -> reloader.reloads() == 1);
            assertEquals(renewed.leaf(), handshake(gatehouse, "app.test"));
            assertEquals(1, reloader.failures());
        }
        finally
        {
            appender.setStream(original);
        }
    }

    @Test
    void everyBadEntryIsReportedAtStart() throws Exception
    {
        Issued a = Issued.of("a.test", "a.test");
        Issued b = Issued.of("b.test", "b.test");
        Path missing = directory.resolve("missing.pem");
        Path mixed = TestCertificates.writePem(directory.resolve("mixed.pem"), a.leaf(), a.issuer(), new JcaPKCS8Generator(b.key(), null));
        Path keyStore = TestCertificates.writePkcs12(directory.resolve("b.p12"), authority.issue("b.test", "b.test"));
        try (StandInUpstream upstream = StandInUpstream.plain())
        {
            InvalidConfigurationException refused = assertThrows(InvalidConfigurationException.class, () -> GatehouseHarness.builder()
                .upstream(upstream.uri())
                .property("gatehouse.tls.certificates", missing + "," + mixed + "," + keyStore)
                .property("gatehouse.tls.certificates-password", "not-changeit")
                .start());
            assertEquals(List.of(
                "gatehouse.tls.certificates: " + missing + ": does not exist",
                "gatehouse.tls.certificates: " + mixed + ": the certificate for a.test does not match the private key in the same file",
                "gatehouse.tls.certificates: " + keyStore + ": cannot open the PKCS12 keystore: wrong password (gatehouse.tls.certificates-password)"
            ), refused.problems());
        }
    }

    @Test
    void pkcs12EntryWithItsPassword() throws Exception
    {
        KeyStore store = authority.issue("p12.test", "p12.test");
        Path keyStore = TestCertificates.writePkcs12(directory.resolve("p12.p12"), store);
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.tls.certificates", keyStore.toString())
                 .property("gatehouse.tls.certificates-password", TestCertificates.PASSWORD)
                 .start())
        {
            assertEquals(store.getCertificate("server"), handshake(gatehouse, "p12.test"));
            assertTrue(gatehouse.gatehouse().effectiveConfiguration().contains("gatehouse.tls.certificates-password = ********"));
        }
    }

    /**
     * Copies what the logger writes to a buffer, still showing it.
     */
    private static final class TeeStream extends java.io.OutputStream
    {
        private final java.io.OutputStream first;
        private final ByteArrayOutputStream second;

        TeeStream(java.io.OutputStream first, ByteArrayOutputStream second)
        {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) throws IOException
        {
            first.write(b);
            synchronized (second)
            {
                second.write(b);
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException
        {
            first.write(bytes, offset, length);
            synchronized (second)
            {
                second.write(bytes, offset, length);
            }
        }

        @Override
        public void flush() throws IOException
        {
            first.flush();
        }
    }
}
