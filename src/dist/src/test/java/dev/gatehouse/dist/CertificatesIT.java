package dev.gatehouse.dist;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.gatehouse.testkit.TestCertificates;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code gatehouse.tls.certificates} in the assembled distribution, checked with openssl as the
 * client: a certbot directory served and renewed in place; Conscrypt serving by default with
 * Gatehouse's TLS rules holding, the JDK's TLS where Conscrypt does not load, and the
 * gatehouse-conscrypt module (enabled offline) refusing to start there.
 */
class CertificatesIT
{
    private static final TestCertificates.Authority CA = TestCertificates.newAuthority("Gatehouse Dist CA");

    /**
     * Writes certbot's layout for one renewal: archive/NAME/{fullchainN,privkeyN}.pem and the live/
     * links to them, each link replaced atomically as certbot does.
     */
    private static void certbotRenewal(Path letsencrypt, String name, int renewal, String commonName) throws Exception
    {
        KeyStore issued = CA.issue(commonName, name);
        Certificate[] chain = issued.getCertificateChain("server");
        PrivateKey key = (PrivateKey)issued.getKey("server", TestCertificates.PASSWORD.toCharArray());
        Path archive = letsencrypt.resolve("archive").resolve(name);
        Path live = letsencrypt.resolve("live").resolve(name);
        TestCertificates.writePem(archive.resolve("fullchain" + renewal + ".pem"), chain[0], chain[1]);
        TestCertificates.writePem(archive.resolve("privkey" + renewal + ".pem"), new JcaPKCS8Generator(key, null));
        Files.createDirectories(live);
        for (String file : List.of("fullchain", "privkey"))
        {
            Path link = live.resolve(file + ".pem");
            Path temporary = live.resolve(file + ".pem.new");
            Files.createSymbolicLink(temporary, Path.of("../../archive/" + name + "/" + file + renewal + ".pem"));
            Files.move(temporary, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void certbotDirectoryIsServedAndItsRenewalPickedUp() throws Exception
    {
        try (Distribution distribution = Distribution.fromTarball())
        {
            Path letsencrypt = distribution.base().resolve("etc/letsencrypt");
            certbotRenewal(letsencrypt, "example.test", 1, "example.test");
            int port = Distribution.freePort();
            // The JDK's TLS, so that OpenSSL checks GatehouseCurves' arithmetic below (Conscrypt, the
            // default where it loads, does its own).
            Distribution.Running gatehouse = distribution.start(List.of(), "jetty.ssl.port=" + port, "gatehouse.upstream=http://127.0.0.1:9",
                "gatehouse.tls.certificates=etc/letsencrypt/live/example.test", "gatehouse.tls.scan-interval=500ms", "gatehouse.tls.provider=jdk");
            assertTrue(gatehouse.output().contains("certbot directory " + letsencrypt.resolve("live/example.test") + " (fullchain.pem + privkey.pem): example.test; EC key; issuer CN=Gatehouse Dist CA; expires"),
                gatehouse.output());
            assertFalse(gatehouse.output().contains("self-signed certificate for localhost"), gatehouse.output());

            Distribution.Result first = handshake(port, "example.test");
            assertEquals(0, first.exitCode(), first.output());
            assertTrue(first.output().contains("Peer certificate: CN = example.test\n"), first.output());

            // The handshake's X25519 and ECDSA P-256 computed by GatehouseCurves (the default), checked
            // by OpenSSL: it verifies the signature and derives the same keys, or the handshake fails.
            assertTrue(gatehouse.output().contains("all forward-secret; X25519 and ECDSA P-256 by GatehouseCurves (BouncyCastle's arithmetic)"), gatehouse.output());
            // (TLS 1.2 lists P-256 among the groups too: without it no server may use a P-256 certificate.)
            for (List<String> options : List.of(List.of("-tls1_3", "-groups", "X25519"), List.of("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-groups", "X25519:P-256")))
            {
                List<String> all = new ArrayList<>(options);
                all.addAll(List.of("-sigalgs", "ECDSA+SHA256"));
                Distribution.Result fast = handshake(port, "example.test", all.toArray(String[]::new));
                assertEquals(0, fast.exitCode(), fast.output());
                assertTrue(fast.output().contains("Signature type: ECDSA") && fast.output().contains("Server Temp Key: X25519"), fast.output());
            }

            certbotRenewal(letsencrypt, "example.test", 2, "example.test renewed");
            gatehouse.awaitOutput("Certificates reloaded", Duration.ofSeconds(60));
            Distribution.Result renewed = handshake(port, "example.test");
            assertEquals(0, renewed.exitCode(), renewed.output());
            assertTrue(renewed.output().contains("Peer certificate: CN = example.test renewed"), renewed.output());
        }
    }

    @Test
    void conscryptServesByDefaultAndKeepsTheTlsRules() throws Exception
    {
        try (Distribution distribution = Distribution.fromTarball())
        {
            String version = System.getProperty("gatehouse.conscrypt.version", "2.9.0");
            assertTrue(Files.isRegularFile(distribution.base().resolve("lib/gatehouse/conscrypt/conscrypt-openjdk-uber-" + version + ".jar")));
            assertFalse(Files.exists(distribution.base().resolve("start.d/gatehouse-conscrypt.ini")), "no module needed");

            // An RSA certificate, so that the static-RSA suites would be negotiable if allowed, and an
            // EC one for a second name, both through gatehouse.tls.certificates.
            Path rsa = distribution.base().resolve("etc/rsa.p12");
            Distribution.Result generated = Distribution.run(distribution.base(), List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-keyalg", "RSA", "-keysize", "2048",
                "-alias", "rsa", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-validity", "30", "-storetype", "PKCS12",
                "-keystore", rsa.toString(), "-storepass", "rsa-secret", "-keypass", "rsa-secret"), Duration.ofSeconds(60));
            assertEquals(0, generated.exitCode(), generated.output());
            KeyStore ec = CA.issue("ec.test", "ec.test");
            TestCertificates.writePem(distribution.base().resolve("etc/ec.pem"), ec.getCertificateChain("server")[0], ec.getCertificateChain("server")[1],
                new JcaPKCS8Generator((PrivateKey)ec.getKey("server", TestCertificates.PASSWORD.toCharArray()), null));

            int port = Distribution.freePort();
            Distribution.Running gatehouse = distribution.start(List.of(), "jetty.ssl.port=" + port, "gatehouse.upstream=http://127.0.0.1:9",
                "gatehouse.tls.certificates=etc/rsa.p12,etc/ec.pem", "gatehouse.tls.certificates-password=rsa-secret", "gatehouse.tls.scan-interval=500ms");
            assertTrue(gatehouse.output().contains("HTTPS TLS provider Conscrypt"), gatehouse.output());
            assertFalse(gatehouse.output().contains("by GatehouseCurves"), "Conscrypt does its own arithmetic:\n" + gatehouse.output());
            assertTrue(gatehouse.output().contains("cipher suites, all forward-secret"), gatehouse.output());

            Distribution.Result tls13 = handshake(port, "localhost", "-tls1_3");
            assertEquals(0, tls13.exitCode(), tls13.output());
            assertTrue(tls13.output().contains("Protocol version: TLSv1.3"), tls13.output());
            assertTrue(tls13.output().contains("Peer certificate: CN = localhost"), tls13.output());
            // ALPN through Conscrypt's processor (-brief does not print it).
            Distribution.Result alpn = Distribution.run(Path.of("."), List.of("bash", "-c", "echo Q | OPENSSL_CONF=/dev/null openssl s_client -connect 127.0.0.1:" + port +
                " -servername localhost -tls1_3 -alpn h2,http/1.1"), Duration.ofSeconds(30));
            assertTrue(alpn.output().contains("ALPN protocol: h2"), alpn.output());

            // Returning clients resume: TLS 1.3 by session tickets, which Conscrypt sends only when
            // asked (with the first response), TLS 1.2 by ticket or session ID.
            for (String protocol : List.of("-tls1_3", "-tls1_2"))
            {
                Distribution.Result resumed = resumption(distribution.base().resolve("session" + protocol), port, protocol);
                assertTrue(resumed.output().contains("Reused, " + (protocol.equals("-tls1_3") ? "TLSv1.3" : "TLSv1.2")), protocol + ":\n" + resumed.output());
                assertTrue(resumed.output().contains("HTTP/1.1 502 Bad Gateway"), resumed.output());
            }

            Distribution.Result bySni = handshake(port, "ec.test", "-tls1_3");
            assertEquals(0, bySni.exitCode(), bySni.output());
            assertTrue(bySni.output().contains("Peer certificate: CN = ec.test"), bySni.output());

            Distribution.Result forwardSecret = handshake(port, "localhost", "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
            assertEquals(0, forwardSecret.exitCode(), forwardSecret.output());
            assertTrue(forwardSecret.output().contains("ECDHE-RSA-AES128-GCM-SHA256"), forwardSecret.output());

            for (List<String> refused : List.of(
                List.of("-tls1_2", "-cipher", "AES128-GCM-SHA256"),
                List.of("-tls1_2", "-cipher", "AES256-SHA256"),
                List.of("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"),
                List.of("-tls1", "-cipher", "DEFAULT@SECLEVEL=0")))
            {
                List<String> options = new ArrayList<>(refused);
                Distribution.Result result = handshake(port, "localhost", options.toArray(String[]::new));
                assertNotEquals(0, result.exitCode(), refused + " was accepted:\n" + result.output());
                assertTrue(!result.output().contains("no protocols available") && !result.output().contains("no ciphers available")
                    && !result.output().contains("no cipher match"), refused + " was not offered:\n" + result.output());
            }

            // A reload rebuilds the Conscrypt context with the same rules.
            KeyStore renewed = CA.issue("ec.test renewed", "ec.test");
            Path replacement = TestCertificates.writePem(distribution.base().resolve("etc/ec.pem.new"), renewed.getCertificateChain("server")[0], renewed.getCertificateChain("server")[1],
                new JcaPKCS8Generator((PrivateKey)renewed.getKey("server", TestCertificates.PASSWORD.toCharArray()), null));
            Files.move(replacement, distribution.base().resolve("etc/ec.pem"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            gatehouse.awaitOutput("Certificates reloaded", Duration.ofSeconds(60));
            Distribution.Result reloaded = handshake(port, "ec.test", "-tls1_3");
            assertEquals(0, reloaded.exitCode(), reloaded.output());
            assertTrue(reloaded.output().contains("Peer certificate: CN = ec.test renewed"), reloaded.output());
            Distribution.Result stillRefused = handshake(port, "localhost", "-tls1_2", "-cipher", "AES128-GCM-SHA256");
            assertNotEquals(0, stillRefused.exitCode(), stillRefused.output());
        }
    }

    /**
     * Where Conscrypt's native library does not load (here: a JVM that reports an architecture the
     * jar carries no library for, as on s390x), the default falls back to the JDK's TLS and says
     * why; the gatehouse-conscrypt module, enabled offline, makes it a start-up error instead.
     */
    @Test
    void withoutConscryptsNativeLibraryTheJdkServesUnlessConscryptIsRequired() throws Exception
    {
        try (Distribution distribution = Distribution.fromTarball())
        {
            List<String> elsewhere = List.of("-Dos.arch=s390x");
            String reason = "UnsatisfiedLinkError: no conscrypt_openjdk_jni-linux-s390_64 in java.library.path";
            int port = Distribution.freePort();
            Distribution.Running gatehouse = distribution.start(elsewhere, "jetty.ssl.port=" + port, "gatehouse.upstream=http://127.0.0.1:9");
            assertTrue(gatehouse.output().contains("HTTPS TLS by the JDK: Conscrypt does not load here (" + reason), gatehouse.output());
            assertTrue(gatehouse.output().contains("HTTPS TLS provider SunJSSE"), gatehouse.output());
            assertTrue(gatehouse.output().contains("cipher suites, all forward-secret"), gatehouse.output());
            // Both ALPN processors are on the class path; the JDK's serves the JDK's engines.
            Distribution.Result alpn = Distribution.run(Path.of("."), List.of("bash", "-c", "echo Q | OPENSSL_CONF=/dev/null openssl s_client -connect 127.0.0.1:" + port +
                " -servername localhost -tls1_3 -alpn h2,http/1.1"), Duration.ofSeconds(30));
            assertTrue(alpn.output().contains("ALPN protocol: h2"), alpn.output());
            Distribution.Result refused = handshake(port, "localhost", "-tls1_2", "-cipher", "AES128-GCM-SHA256");
            assertNotEquals(0, refused.exitCode(), refused.output());
            gatehouse.stop(Duration.ofSeconds(30));

            Distribution.Result added = distribution.startJar("--approve-all-licenses", "--add-modules=gatehouse-conscrypt");
            assertEquals(0, added.exitCode(), added.output());
            assertFalse(added.output().toLowerCase(java.util.Locale.ROOT).contains("download"), added.output());
            Distribution.Result required = distribution.startExpectingExit(elsewhere, "jetty.ssl.port=" + Distribution.freePort(), "gatehouse.upstream=http://127.0.0.1:9");
            assertNotEquals(0, required.exitCode(), required.output());
            assertTrue(required.output().contains("gatehouse.tls.provider=conscrypt, but Conscrypt does not load here: " + reason), required.output());
            assertTrue(required.output().contains(". Set gatehouse.tls.provider=auto (Conscrypt when it loads, else the JDK's TLS) or jdk"), required.output());

            // Where it loads, the module's requirement is met.
            Distribution.Running withModule = distribution.start(List.of(), "jetty.ssl.port=" + Distribution.freePort(), "gatehouse.upstream=http://127.0.0.1:9");
            assertTrue(withModule.output().contains("HTTPS TLS provider Conscrypt"), withModule.output());
        }
    }

    /**
     * Two connections, each with one request: the first saves its session (TLS 1.3's ticket comes
     * after the handshake, with the response), the second offers it; returns the second's output.
     */
    private static Distribution.Result resumption(Path sessionFile, int port, String version) throws Exception
    {
        String client = "OPENSSL_CONF=/dev/null openssl s_client -connect 127.0.0.1:" + port + " -servername localhost -ign_eof " + version;
        String request = "(printf 'GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n'; sleep 1) | ";
        return Distribution.run(Path.of("."), List.of("bash", "-c",
            request + client + " -sess_out " + sessionFile + " >/dev/null 2>&1; " + request + client + " -sess_in " + sessionFile + " 2>&1"),
            Duration.ofSeconds(30));
    }

    /**
     * openssl s_client as TlsIT runs it: OPENSSL_CONF=/dev/null lifts Debian's client minimum, so
     * that a refusal is the server's.
     */
    private static Distribution.Result handshake(int port, String serverName, String... options) throws Exception
    {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", serverName, "-brief"));
        command.addAll(List.of(options));
        String quoted = String.join(" ", command.stream().map(argument -> "'" + argument.replace("'", "'\\''") + "'").toList());
        return Distribution.run(Path.of("."), List.of("bash", "-c", "echo Q | OPENSSL_CONF=/dev/null " + quoted), Duration.ofSeconds(30));
    }
}
