package dev.gatehouse.core.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every layout and key format that {@code gatehouse.tls.certificates} reads, and every message a
 * user can get for bad input, pinned.
 */
class ServerCertificatesTest
{
    private static Pki pki;
    private static Pki.Issued a;
    private static Pki.Issued b;

    @TempDir
    Path directory;

    @BeforeAll
    static void issue() throws Exception
    {
        pki = new Pki();
        a = pki.issue("a.test", "www.a.test");
        b = pki.issue("b.test");
    }

    private static ServerCertificates load(Path... entries)
    {
        return ServerCertificates.load(List.of(entries), "", Instant.now());
    }

    private static ServerCertificates load(String password, Path... entries)
    {
        return ServerCertificates.load(List.of(entries), password, Instant.now());
    }

    private static void assertServes(ServerCertificates certificates, X509Certificate... leaves) throws Exception
    {
        assertEquals(List.of(), certificates.problems());
        KeyStore store = certificates.keyStore();
        assertNotNull(store);
        assertEquals(leaves.length, store.size());
        for (int i = 0; i < leaves.length; i++)
        {
            String alias = "gatehouse-" + (i + 1);
            assertEquals(leaves[i], store.getCertificate(alias), alias);
            assertNotNull(store.getKey(alias, ServerCertificates.KEY_PASSWORD.toCharArray()), alias);
        }
    }

    private static void assertProblems(ServerCertificates certificates, String... problems)
    {
        assertEquals(List.of(problems), certificates.problems());
        assertNull(certificates.keyStore());
    }

    @Test
    void combinedPemWithSec1EcKey() throws Exception
    {
        Path file = Pki.pem(directory.resolve("a.pem"), a.key(), a.leaf(), a.intermediate());
        ServerCertificates certificates = load(file);
        assertServes(certificates, a.leaf());
        assertEquals(List.of("a.test", "www.a.test"), certificates.certificates().get(0).names());
        assertEquals(2, certificates.certificates().get(0).chain().length);
        assertEquals(List.of(), certificates.warnings());
        assertTrue(Files.readString(file).contains("BEGIN EC PRIVATE KEY"));
    }

    @Test
    void combinedPemWithPkcs8KeyAfterTheChain() throws Exception
    {
        Path file = Pki.pem(directory.resolve("a.pem"), a.leaf(), a.intermediate(), Pki.pkcs8(a.key()));
        assertTrue(Files.readString(file).contains("BEGIN PRIVATE KEY"));
        assertServes(load(file), a.leaf());
    }

    @Test
    void pkcs1RsaKey() throws Exception
    {
        Pki.Issued rsa = pki.issue("RSA", Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)), "rsa.test");
        Path file = Pki.pem(directory.resolve("rsa.pem"), rsa.leaf(), rsa.intermediate(), rsa.key());
        assertTrue(Files.readString(file).contains("BEGIN RSA PRIVATE KEY"));
        assertServes(load(file), rsa.leaf());
    }

    @Test
    void encryptedPkcs8KeyWithThePassword() throws Exception
    {
        Path file = Pki.pem(directory.resolve("a.pem"), a.leaf(), a.intermediate(), Pki.encryptedPkcs8(a.key(), "s3cret"));
        assertTrue(Files.readString(file).contains("BEGIN ENCRYPTED PRIVATE KEY"));
        assertServes(load("s3cret", file), a.leaf());
        assertProblems(load(file), file + ": the private key is encrypted and gatehouse.tls.certificates-password is not set");
        assertProblems(load("wrong", file), file + ": cannot decrypt the private key: wrong password (gatehouse.tls.certificates-password)");
    }

    @Test
    void legacyEncryptedPkcs1RsaKeyWithThePassword() throws Exception
    {
        Pki.Issued rsa = pki.issue("RSA", Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)), "rsa.test");
        var encryptor = new org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder("AES-128-CBC")
            .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()).build("s3cret".toCharArray());
        java.io.StringWriter text = new java.io.StringWriter();
        try (var writer = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(text))
        {
            writer.writeObject(rsa.leaf());
            writer.writeObject(rsa.intermediate());
            writer.writeObject(rsa.key(), encryptor);
        }
        Path file = Files.writeString(directory.resolve("legacy.pem"), text.toString());
        assertTrue(text.toString().contains("Proc-Type: 4,ENCRYPTED"));
        assertServes(load("s3cret", file), rsa.leaf());
        assertProblems(load(file), file + ": the private key is encrypted and gatehouse.tls.certificates-password is not set");
        assertProblems(load("wrong", file), file + ": cannot decrypt the private key: wrong password (gatehouse.tls.certificates-password)");
    }

    @Test
    void pkcs12() throws Exception
    {
        Path file = Pki.pkcs12(directory.resolve("a.p12"), "p12-secret", a);
        assertServes(load("p12-secret", file), a.leaf());
        assertProblems(load("wrong", file), file + ": cannot open the PKCS12 keystore: wrong password (gatehouse.tls.certificates-password)");
    }

    @Test
    void certbotDirectoryFollowsLinksIntoArchiveAgainOnEveryRead() throws Exception
    {
        Path archive = directory.resolve("archive/a.test");
        Path live = directory.resolve("live/a.test");
        Pki.pem(archive.resolve("fullchain1.pem"), a.leaf(), a.intermediate());
        Pki.pem(archive.resolve("privkey1.pem"), Pki.pkcs8(a.key()));
        Pki.pem(archive.resolve("cert1.pem"), a.leaf());
        Pki.pem(archive.resolve("chain1.pem"), a.intermediate());
        Files.createDirectories(live);
        for (String name : List.of("fullchain", "privkey", "cert", "chain"))
            Files.createSymbolicLink(live.resolve(name + ".pem"), Path.of("../../archive/a.test/" + name + "1.pem"));
        Files.writeString(live.resolve("README"), "certbot's README");

        ServerCertificates first = load(live);
        assertServes(first, a.leaf());
        CertificateFiles files = first.certificates().get(0).files();
        assertEquals(CertificateFiles.Layout.CERTBOT, files.layout());
        assertEquals(archive.resolve("fullchain1.pem").toRealPath(), files.certificateTarget());
        assertEquals(archive.resolve("privkey1.pem").toRealPath(), files.keyTarget());

        // A renewal: new files in archive/, then the links moved.
        Pki.Issued renewed = pki.issue("a.test", "www.a.test");
        Pki.pem(archive.resolve("fullchain2.pem"), renewed.leaf(), renewed.intermediate());
        Pki.pem(archive.resolve("privkey2.pem"), Pki.pkcs8(renewed.key()));
        relink(live.resolve("fullchain.pem"), "../../archive/a.test/fullchain2.pem");
        relink(live.resolve("privkey.pem"), "../../archive/a.test/privkey2.pem");

        ServerCertificates second = load(live);
        assertServes(second, renewed.leaf());
        assertEquals(archive.resolve("fullchain2.pem").toRealPath(), second.certificates().get(0).files().certificateTarget());
        assertNotEquals(first.fingerprint(), second.fingerprint());
    }

    static void relink(Path link, String target) throws Exception
    {
        Path temporary = link.resolveSibling(link.getFileName() + ".new");
        Files.createSymbolicLink(temporary, Path.of(target));
        Files.move(temporary, link, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void acmeShDirectory() throws Exception
    {
        Path home = directory.resolve("a.test_ecc");
        Pki.pem(home.resolve("a.test.cer"), a.leaf());
        Pki.pem(home.resolve("ca.cer"), a.intermediate());
        Pki.pem(home.resolve("fullchain.cer"), a.leaf(), a.intermediate());
        Pki.pem(home.resolve("a.test.key"), a.key());
        Files.writeString(home.resolve("a.test.conf"), "Le_Domain='a.test'\n");
        Files.writeString(home.resolve("a.test.csr"), "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n");
        ServerCertificates certificates = load(home);
        assertServes(certificates, a.leaf());
        assertEquals(CertificateFiles.Layout.ACME_SH, certificates.certificates().get(0).files().layout());
        assertEquals(2, certificates.certificates().get(0).chain().length);
    }

    @Test
    void caddyDirectory() throws Exception
    {
        Path site = directory.resolve("certificates/acme-v02.api.letsencrypt.org-directory/a.test");
        Pki.pem(site.resolve("a.test.crt"), a.leaf(), a.intermediate());
        Pki.pem(site.resolve("a.test.key"), a.key());
        Files.writeString(site.resolve("a.test.json"), "{\"sans\":[\"a.test\"]}");
        ServerCertificates certificates = load(site);
        assertServes(certificates, a.leaf());
        assertEquals(CertificateFiles.Layout.CADDY, certificates.certificates().get(0).files().layout());
    }

    @Test
    void directoryWithOneCertificateAndOneKeyOfAnyName() throws Exception
    {
        Path site = directory.resolve("site");
        Pki.pem(site.resolve("server-chain.pem"), a.leaf(), a.intermediate());
        Pki.pem(site.resolve("server-key.pem"), Pki.pkcs8(a.key()));
        ServerCertificates certificates = load(site);
        assertServes(certificates, a.leaf());
        assertEquals(CertificateFiles.Layout.PAIR, certificates.certificates().get(0).files().layout());
    }

    @Test
    void severalEntriesOneAliasEachInOrder() throws Exception
    {
        Path first = Pki.pem(directory.resolve("b.pem"), b.leaf(), b.intermediate(), b.key());
        Path second = Pki.pkcs12(directory.resolve("a.p12"), "pw", a);
        ServerCertificates certificates = load("pw", first, second);
        assertServes(certificates, b.leaf(), a.leaf());
        assertEquals(List.of(), certificates.warnings());
    }

    @Test
    void missingFileAndBrokenLink() throws Exception
    {
        Path missing = directory.resolve("missing.pem");
        Path link = Files.createSymbolicLink(directory.resolve("link.pem"), Path.of("nowhere.pem"));
        assertProblems(load(missing, link),
            missing + ": does not exist",
            link + ": is a broken symbolic link (to nowhere.pem)");
    }

    @Test
    void noCertificate() throws Exception
    {
        Path file = Pki.pem(directory.resolve("key-only.pem"), a.key());
        assertProblems(load(file), file + ": holds no certificate (expected PEM blocks -----BEGIN CERTIFICATE-----)");
        Path text = Files.writeString(directory.resolve("notes.pem"), "not a certificate\n");
        assertProblems(load(text), text + ": holds no certificate (expected PEM blocks -----BEGIN CERTIFICATE-----)");
    }

    @Test
    void noKey() throws Exception
    {
        Path file = Pki.pem(directory.resolve("chain-only.pem"), a.leaf(), a.intermediate());
        assertProblems(load(file), file + ": holds no private key (expected a PEM block -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)");
        Path certbot = directory.resolve("live/a.test");
        Pki.pem(certbot.resolve("fullchain.pem"), a.leaf(), a.intermediate());
        Pki.pem(certbot.resolve("privkey.pem"), a.leaf());
        assertProblems(load(certbot), certbot.resolve("privkey.pem") + ": holds no private key (expected a PEM block -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    @Test
    void severalKeys() throws Exception
    {
        Path file = Pki.pem(directory.resolve("two-keys.pem"), a.leaf(), a.intermediate(), a.key(), b.key());
        assertProblems(load(file), file + ": holds 2 private keys; an entry holds exactly one certificate and its key");
    }

    @Test
    void keyThatDoesNotMatchTheCertificate() throws Exception
    {
        Path file = Pki.pem(directory.resolve("mixed.pem"), a.leaf(), a.intermediate(), b.key());
        assertProblems(load(file), file + ": the certificate for a.test, www.a.test does not match the private key in the same file");
        Path certbot = directory.resolve("live/a.test");
        Pki.pem(certbot.resolve("fullchain.pem"), a.leaf(), a.intermediate());
        Pki.pem(certbot.resolve("privkey.pem"), Pki.pkcs8(b.key()));
        assertProblems(load(certbot), certbot.resolve("fullchain.pem") + ": the certificate for a.test, www.a.test does not match the private key in " + certbot.resolve("privkey.pem"));
        // An RSA key with an EC certificate is a mismatch too, not an error of another kind.
        Pki.Issued rsa = pki.issue("RSA", Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)), "rsa.test");
        Path crossed = Pki.pem(directory.resolve("crossed.pem"), a.leaf(), rsa.key());
        assertProblems(load(crossed), crossed + ": the certificate for a.test, www.a.test does not match the private key in the same file");
    }

    @Test
    void serverCertificateNotFirst() throws Exception
    {
        Path file = Pki.pem(directory.resolve("reversed.pem"), a.intermediate(), a.leaf(), a.key());
        assertProblems(load(file), file + ": the certificate matching the private key in the same file is number 2 in the file; the server's own certificate must come first, then its issuers");
    }

    @Test
    void pkcs12WithoutKeyOrWithTwo() throws Exception
    {
        KeyStore trustOnly = KeyStore.getInstance("PKCS12");
        trustOnly.load(null, null);
        trustOnly.setCertificateEntry("ca", pki.root());
        Path file = directory.resolve("trust.p12");
        try (var output = Files.newOutputStream(file))
        {
            trustOnly.store(output, "pw".toCharArray());
        }
        assertProblems(load("pw", file), file + ": holds no private key (only trusted certificates)");

        KeyStore two = KeyStore.getInstance("PKCS12");
        two.load(null, null);
        two.setKeyEntry("one", a.key(), "pw".toCharArray(), new X509Certificate[]{a.leaf()});
        two.setKeyEntry("two", b.key(), "pw".toCharArray(), new X509Certificate[]{b.leaf()});
        Path twoFile = directory.resolve("two.p12");
        try (var output = Files.newOutputStream(twoFile))
        {
            two.store(output, "pw".toCharArray());
        }
        ServerCertificates certificates = load("pw", twoFile);
        assertEquals(1, certificates.problems().size());
        assertTrue(certificates.problems().get(0).startsWith(twoFile + ": holds 2 private keys (aliases "), certificates.problems().toString());
    }

    @Test
    void directoryWithoutAKnownLayout() throws Exception
    {
        Path site = directory.resolve("site");
        Pki.pem(site.resolve("one.pem"), a.leaf());
        Pki.pem(site.resolve("two.pem"), b.leaf());
        Pki.pem(site.resolve("key.pem"), a.key());
        assertProblems(load(site), site + ": no certificate and key found: expected fullchain.pem and privkey.pem (certbot), fullchain.cer and <domain>.key (acme.sh), " +
            "<name>.crt and <name>.key (Caddy), or exactly one certificate file and one key file");
    }

    @Test
    void tooLargeFile() throws Exception
    {
        Path file = directory.resolve("movie.pem");
        Files.write(file, new byte[(int)CertificateFiles.MAX_FILE_SIZE + 1]);
        assertProblems(load(file), file + ": is 1048577 bytes, too large for a certificate or key file");
    }

    @Test
    void unreadableFile() throws Exception
    {
        org.junit.jupiter.api.Assumptions.assumeFalse("root".equals(System.getProperty("user.name")), "root reads every file");
        Path file = Pki.pem(directory.resolve("secret.pem"), a.leaf(), a.key());
        Files.setPosixFilePermissions(file, java.util.Set.of());
        assertProblems(load(file), file + ": cannot be read (permission denied)");
    }

    @Test
    void everyProblemAtOnce() throws Exception
    {
        Path missing = directory.resolve("missing.pem");
        Path mixed = Pki.pem(directory.resolve("mixed.pem"), a.leaf(), b.key());
        Path good = Pki.pem(directory.resolve("good.pem"), b.leaf(), b.intermediate(), b.key());
        assertProblems(load(missing, good, mixed),
            missing + ": does not exist",
            mixed + ": the certificate for a.test, www.a.test does not match the private key in the same file");
    }

    @Test
    void warningsAreServedAnyway() throws Exception
    {
        Instant now = Instant.now();
        Pki.Issued expired = pki.issue("EC", Instant.parse("2020-01-01T00:00:00Z"), Instant.parse("2020-04-01T00:00:00Z"), "old.test");
        Pki.Issued future = pki.issue("EC", Instant.parse("2099-01-01T00:00:00Z"), Instant.parse("2099-04-01T00:00:00Z"), "new.test");
        Path expiredFile = Pki.pem(directory.resolve("expired.pem"), expired.leaf(), expired.intermediate(), expired.key());
        Path futureFile = Pki.pem(directory.resolve("future.pem"), future.leaf(), future.intermediate(), future.key());
        Path leafOnly = Pki.pem(directory.resolve("leaf-only.pem"), b.leaf(), b.key());
        Path unordered = Pki.pem(directory.resolve("unordered.pem"), a.leaf(), pki.root(), a.intermediate(), a.key());
        Pki.Issued otherA = pki.issue("a.test");
        Path duplicate = Pki.pem(directory.resolve("duplicate.pem"), otherA.leaf(), otherA.intermediate(), otherA.key());

        ServerCertificates certificates = ServerCertificates.load(List.of(expiredFile, futureFile, leafOnly, unordered, duplicate), "", now);
        assertEquals(List.of(), certificates.problems());
        assertEquals(5, certificates.keyStore().size());
        assertEquals(3, certificates.certificates().get(3).chain().length);
        assertEquals(pki.root(), certificates.certificates().get(3).chain()[2]);
        assertEquals(List.of(
            leafOnly + ": holds only the server's certificate, without the intermediate certificate of its issuer (CN=Test Intermediate); many clients need it: use the full chain (certbot: fullchain.pem, acme.sh: fullchain.cer)",
            unordered + ": the certificates after the server's are not in issuing order; sent as CN=a.test <- CN=Test Intermediate <- CN=Test Root",
            expiredFile + ": the certificate for old.test EXPIRED on 2020-04-01T00:00:00Z; it is served anyway, and clients will refuse it until it is renewed",
            futureFile + ": the certificate for new.test is NOT VALID BEFORE 2099-01-01T00:00:00Z; it is served anyway, and clients will refuse it until then (is the clock right?)",
            "a.test is in two certificates, " + unordered + " and " + duplicate + "; clients asking for a.test get the first listed in gatehouse.tls.certificates"
        ), certificates.warnings());
        assertTrue(certificates.certificates().get(0).describe(now).endsWith("expires 2020-04-01T00:00:00Z (EXPIRED)"), certificates.certificates().get(0).describe(now));
    }

    @Test
    void aCertificateCloseToItsEndIsReported() throws Exception
    {
        Instant now = Instant.parse("2030-01-01T00:00:00Z");
        Pki.Issued soon = pki.issue("EC", Instant.parse("2029-10-01T00:00:00Z"), Instant.parse("2030-01-06T12:00:00Z"), "soon.test");
        Path file = Pki.pem(directory.resolve("soon.pem"), soon.leaf(), soon.intermediate(), soon.key());
        ServerCertificates certificates = ServerCertificates.load(List.of(file), "", now);
        List<String> expected = List.of(file + ": the certificate for soon.test expires on 2030-01-06T12:00:00Z, in 5 days; is its renewal running?");
        assertEquals(expected, certificates.warnings());
        assertEquals(expected, certificates.validityWarnings(now));
        assertEquals(List.of(), certificates.validityWarnings(Instant.parse("2029-12-01T00:00:00Z")));
    }

    @Test
    void rsaAndEcCertificatesForTheSameNameAreAPairNotAnOverlap() throws Exception
    {
        Pki.Issued rsa = pki.issue("RSA", Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(30)), "a.test");
        Path ec = Pki.pem(directory.resolve("ec.pem"), a.leaf(), a.intermediate(), a.key());
        Path rsaFile = Pki.pem(directory.resolve("rsa.pem"), rsa.leaf(), rsa.intermediate(), rsa.key());
        ServerCertificates certificates = load(ec, rsaFile);
        assertServes(certificates, a.leaf(), rsa.leaf());
        assertEquals(List.of(), certificates.warnings());
    }

    @Test
    void logLineNamesFileNamesIssuerAndExpiry() throws Exception
    {
        Path file = Pki.pem(directory.resolve("a.pem"), a.leaf(), a.intermediate(), a.key());
        String line = load(file).certificates().get(0).describe(Instant.now());
        assertTrue(line.startsWith("PEM file " + file + ": a.test, www.a.test; EC key; issuer CN=Test Intermediate; expires "), line);
        assertTrue(line.endsWith(" (in 89 days)"), line);
    }
}
