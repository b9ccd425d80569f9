package dev.gatehouse.core.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reload rules, one scan at a time (no timer: the test calls {@link CertificateReloader#scan()}):
 * a change is applied once it held still for a scan; a bad change is refused, reported once with
 * its file, and tried again when the files change; the TLS context serves what was applied.
 */
class CertificateReloaderTest
{
    @TempDir
    Path directory;

    private Pki pki;
    private Path live;
    private SslContextFactory.Server ssl;
    private CertificateReloader reloader;

    @BeforeEach
    void start() throws Exception
    {
        pki = new Pki();
        live = directory.resolve("live/a.test");
        Pki.Issued first = pki.issue("a.test");
        write(first);
        ServerCertificates initial = ServerCertificates.load(List.of(live), "", Instant.now());
        assertEquals(List.of(), initial.problems());
        ssl = new SslContextFactory.Server();
        ssl.setKeyStore(initial.keyStore());
        ssl.setKeyStorePassword(ServerCertificates.KEY_PASSWORD);
        ssl.start();
        reloader = new CertificateReloader(ssl, List.of(live), "", Duration.ZERO, initial, Clock.systemUTC());
        reloader.start();
    }

    @AfterEach
    void stop() throws Exception
    {
        reloader.stop();
        ssl.stop();
    }

    private void write(Pki.Issued issued) throws Exception
    {
        writeCertificate(issued);
        writeKey(issued);
    }

    private void writeCertificate(Pki.Issued issued) throws Exception
    {
        Pki.pem(live.resolve("fullchain.pem"), issued.leaf(), issued.intermediate());
    }

    private void writeKey(Pki.Issued issued) throws Exception
    {
        Pki.pem(live.resolve("privkey.pem"), Pki.pkcs8(issued.key()));
    }

    private X509Certificate served() throws Exception
    {
        return (X509Certificate)ssl.getKeyStore().getCertificate("gatehouse-1");
    }

    @Test
    void unchangedFilesAreNotReloaded() throws Exception
    {
        X509Certificate before = served();
        assertFalse(reloader.scan());
        assertFalse(reloader.scan());
        assertEquals(before, served());
        assertEquals(0, reloader.reloads());
    }

    @Test
    void aChangeIsAppliedOnceItHeldStillForOneScan() throws Exception
    {
        Pki.Issued renewed = pki.issue("a.test");
        write(renewed);
        assertFalse(reloader.scan(), "just changed: wait for it to hold still");
        assertTrue(reloader.scan());
        assertEquals(renewed.leaf(), served());
        assertEquals(renewed.leaf(), reloader.current().certificates().get(0).leaf());
        assertFalse(reloader.scan());
        assertEquals(1, reloader.reloads());
        assertEquals(0, reloader.failures());
    }

    @Test
    void certificateWrittenBeforeItsKeyIsNotAppliedHalfWay() throws Exception
    {
        X509Certificate before = served();
        Pki.Issued renewed = pki.issue("a.test");
        writeCertificate(renewed);
        assertFalse(reloader.scan());
        assertEquals(before, served());
        writeKey(renewed);
        assertFalse(reloader.scan(), "changed again since the last scan");
        assertTrue(reloader.scan());
        assertEquals(renewed.leaf(), served());
        assertEquals(0, reloader.failures(), "the half-written state was never judged");
    }

    @Test
    void certbotRenewalMovingLinksIsFollowed() throws Exception
    {
        // Start over with certbot's real shape: live/ links into archive/.
        Path archive = directory.resolve("archive/a.test");
        Files.createDirectories(archive);
        Files.move(live.resolve("fullchain.pem"), archive.resolve("fullchain1.pem"));
        Files.move(live.resolve("privkey.pem"), archive.resolve("privkey1.pem"));
        Files.createSymbolicLink(live.resolve("fullchain.pem"), Path.of("../../archive/a.test/fullchain1.pem"));
        Files.createSymbolicLink(live.resolve("privkey.pem"), Path.of("../../archive/a.test/privkey1.pem"));
        assertFalse(reloader.scan(), "same contents through links: only the targets differ, a change");
        reloader.scan();

        Pki.Issued renewed = pki.issue("a.test");
        Pki.pem(archive.resolve("fullchain2.pem"), renewed.leaf(), renewed.intermediate());
        Pki.pem(archive.resolve("privkey2.pem"), Pki.pkcs8(renewed.key()));
        ServerCertificatesTest.relink(live.resolve("fullchain.pem"), "../../archive/a.test/fullchain2.pem");
        assertFalse(reloader.scan());
        ServerCertificatesTest.relink(live.resolve("privkey.pem"), "../../archive/a.test/privkey2.pem");
        assertFalse(reloader.scan());
        assertTrue(reloader.scan());
        assertEquals(renewed.leaf(), served());
        assertEquals(0, reloader.failures());
    }

    @Test
    void aBadChangeIsRefusedReportedOnceAndRetriedWhenTheFilesChange() throws Exception
    {
        X509Certificate before = served();
        Pki.Issued other = pki.issue("a.test");
        writeKey(other);
        assertFalse(reloader.scan());
        assertFalse(reloader.scan(), "settled but bad: refused");
        assertEquals(before, served());
        assertEquals(1, reloader.failures());
        assertEquals(live.resolve("fullchain.pem") + ": the certificate for a.test does not match the private key in " + live.resolve("privkey.pem"), reloader.lastFailure());

        assertFalse(reloader.scan());
        assertEquals(1, reloader.failures(), "the same bad files are not tried (nor reported) again");

        writeCertificate(other);
        assertFalse(reloader.scan());
        assertTrue(reloader.scan());
        assertEquals(other.leaf(), served());
        assertEquals(1, reloader.failures());
    }

    @Test
    void deletedFilesKeepThePreviousCertificates() throws Exception
    {
        X509Certificate before = served();
        Files.delete(live.resolve("privkey.pem"));
        reloader.scan();
        assertFalse(reloader.scan());
        assertEquals(before, served());
        assertEquals(live + ": no certificate and key found: " + CertificateFiles.LAYOUTS, reloader.lastFailure());
    }

    @Test
    void timerScansWhileRunningOnly() throws Exception
    {
        CertificateReloader timed = new CertificateReloader(ssl, List.of(live), "", Duration.ofMillis(100), reloader.current(), Clock.systemUTC());
        timed.start();
        try
        {
            Pki.Issued renewed = pki.issue("a.test");
            write(renewed);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (timed.reloads() == 0 && System.nanoTime() < deadline)
                Thread.sleep(20);
            assertEquals(1, timed.reloads());
            assertEquals(renewed.leaf(), served());
        }
        finally
        {
            timed.stop();
        }
        assertTrue(timed.getBeans().isEmpty(), "the timer is gone once stopped");
    }
}
