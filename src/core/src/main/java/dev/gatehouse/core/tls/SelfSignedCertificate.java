package dev.gatehouse.core.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed certificate for {@code localhost}, {@code 127.0.0.1} and {@code ::1}, generated on
 * the first start when no certificate is configured so that the first run works, and kept in the
 * base so browsers' exceptions survive restarts.
 */
public final class SelfSignedCertificate
{
    /**
     * The keystore protects nothing that the file's permissions don't: it holds a throwaway key
     * for localhost. A fixed password lets every later start read it.
     */
    public static final String PASSWORD = "gatehouse-self-signed";
    public static final String ALIAS = "localhost";

    private SelfSignedCertificate()
    {
    }

    /**
     * The default keystore path of the gatehouse-tls module, relative to {@code jetty.base}.
     */
    public static final String DEFAULT_PATH = "etc/gatehouse/self-signed-localhost.p12";

    /**
     * Called by {@code etc/gatehouse-tls.xml} before Jetty's ssl-context module loads the keystore.
     * Creates the self-signed keystore when the configured path is Gatehouse's default and the file
     * is missing; refuses, with a message saying what to configure, when any other configured
     * keystore is missing.
     *
     * <p>With {@code gatehouse.tls.certificates} set, the certificates come from there, but Jetty's
     * ssl-context module still insists on reading a keystore file, so the default one is created
     * as a placeholder; it is never served.</p>
     *
     * @param selfSigned the text of {@code gatehouse.tls.self-signed}
     * @param certificates the text of {@code gatehouse.tls.certificates}
     */
    public static void ensureKeyStore(String base, String keyStorePath, String selfSigned, String certificates) throws IOException, GeneralSecurityException
    {
        Path path = Path.of(base).resolve(keyStorePath).normalize();
        if (Files.exists(path))
            return;
        boolean isDefault = path.equals(Path.of(base).resolve(DEFAULT_PATH).normalize());
        boolean haveCertificates = certificates != null && !certificates.isBlank();
        if (isDefault && haveCertificates)
        {
            loadOrCreate(path);
            return;
        }
        if (isDefault && !"false".equals(selfSigned == null ? null : selfSigned.trim()))
        {
            loadOrCreate(path);
            org.slf4j.LoggerFactory.getLogger(SelfSignedCertificate.class).warn(
                "No certificate configured: created a self-signed certificate for localhost in {}. Browsers will warn; set gatehouse.tls.certificates for a real one.", path);
            return;
        }
        if (haveCertificates)
            throw new dev.gatehouse.core.config.InvalidConfigurationException(java.util.List.of(
                "gatehouse.tls.certificates: jetty.sslContext.keyStorePath (" + path + ") is set too; use one of the two (gatehouse.tls.certificates takes PKCS12 files as well)"));
        throw new dev.gatehouse.core.config.InvalidConfigurationException(java.util.List.of(
            "jetty.sslContext.keyStorePath: the keystore " + path + " does not exist. Point jetty.sslContext.keyStorePath at your PKCS12 certificate, or set gatehouse.tls.certificates" +
                (isDefault ? ", or remove gatehouse.tls.self-signed=false to generate a self-signed one for localhost" : "")));
    }

    /**
     * @return the keystore at {@code path}, generated first if the file does not exist
     */
    public static KeyStore loadOrCreate(Path path) throws IOException, GeneralSecurityException
    {
        if (!Files.exists(path))
            write(path, generate());
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream input = Files.newInputStream(path))
        {
            keyStore.load(input, PASSWORD.toCharArray());
        }
        return keyStore;
    }

    static KeyStore generate() throws GeneralSecurityException, IOException
    {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keyPair = generator.generateKeyPair();
        X500Name name = new X500Name("CN=localhost, O=Gatehouse self-signed");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
            name,
            new BigInteger(128, new SecureRandom()),
            Date.from(now.minus(Duration.ofDays(1))),
            Date.from(now.plus(Duration.ofDays(825))),
            name,
            keyPair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
            new GeneralName(GeneralName.iPAddress, "::1")
        }));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        X509Certificate certificate;
        try
        {
            certificate = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate())));
        }
        catch (OperatorCreationException e)
        {
            throw new GeneralSecurityException(e);
        }
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry(ALIAS, keyPair.getPrivate(), PASSWORD.toCharArray(), new X509Certificate[]{certificate});
        return keyStore;
    }

    private static void write(Path path, KeyStore keyStore) throws IOException, GeneralSecurityException
    {
        Files.createDirectories(path.getParent());
        Path temporary = Files.createTempFile(path.getParent(), ".self-signed", ".tmp");
        try (OutputStream output = Files.newOutputStream(temporary))
        {
            keyStore.store(output, PASSWORD.toCharArray());
        }
        // Atomic, so that two instances starting at once never read half a file.
        Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
