package dev.gatehouse.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throwaway certificate authorities and server certificates for tests: a stand-in Plex with a
 * {@code *.<hash>.plex.direct} certificate, a second app's certificate, a "wrong" CA.
 */
public final class TestCertificates
{
    public static final String PASSWORD = "changeit";

    private TestCertificates()
    {
    }

    /**
     * A certificate authority that can issue server certificates.
     */
    public static final class Authority
    {
        private final KeyPair keyPair;
        private final X509Certificate certificate;

        private Authority(KeyPair keyPair, X509Certificate certificate)
        {
            this.keyPair = keyPair;
            this.certificate = certificate;
        }

        public X509Certificate certificate()
        {
            return certificate;
        }

        /**
         * @param names DNS names (wildcards allowed) and IP literals for the subject alternative names
         * @return a PKCS12 keystore (password {@link #PASSWORD}, alias {@code server}) with the chain
         */
        public KeyStore issue(String commonName, String... names)
        {
            try
            {
                KeyPair serverKeys = newKeyPair();
                X509v3CertificateBuilder builder = builder(new X500Name("CN=" + commonName), serverKeys, X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()));
                List<GeneralName> alternatives = new ArrayList<>();
                for (String name : names)
                {
                    boolean ip = name.indexOf(':') >= 0 || name.matches("[0-9.]+");
                    alternatives.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, name));
                }
                builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternatives.toArray(GeneralName[]::new)));
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                X509Certificate server = sign(builder, keyPair);
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("server", serverKeys.getPrivate(), PASSWORD.toCharArray(), new X509Certificate[]{server, certificate});
                return store;
            }
            catch (GeneralSecurityException | IOException e)
            {
                throw new IllegalStateException(e);
            }
        }

        /**
         * Writes the CA certificate as PEM, the form a user's extra trust store takes.
         */
        public Path writePem(Path file)
        {
            return TestCertificates.writePem(file, certificate);
        }

        /**
         * @return a trust store holding this CA only
         */
        public KeyStore trustStore()
        {
            try
            {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setCertificateEntry("ca", certificate);
                return store;
            }
            catch (GeneralSecurityException | IOException e)
            {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * @return a new CA with the given common name
     */
    public static Authority newAuthority(String commonName)
    {
        try
        {
            KeyPair keyPair = newKeyPair();
            X500Name name = new X500Name("CN=" + commonName);
            X509v3CertificateBuilder builder = builder(name, keyPair, name);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            return new Authority(keyPair, sign(builder, keyPair));
        }
        catch (GeneralSecurityException | IOException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Writes a keystore as a PKCS12 file with password {@link #PASSWORD}.
     */
    public static Path writePkcs12(Path file, KeyStore store)
    {
        try
        {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (OutputStream output = Files.newOutputStream(file))
            {
                store.store(output, PASSWORD.toCharArray());
            }
            return file;
        }
        catch (GeneralSecurityException | IOException e)
        {
            throw new IllegalStateException(e);
        }
    }

    public static Path writePem(Path file, Object... objects)
    {
        try
        {
            StringWriter text = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(text))
            {
                for (Object object : objects)
                    writer.writeObject(object);
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, text.toString());
            return file;
        }
        catch (IOException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException
    {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name subject, KeyPair subjectKeys, X500Name issuer)
    {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, new BigInteger(96, new SecureRandom()),
            Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(30))), subject, subjectKeys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuerKeys) throws GeneralSecurityException
    {
        try
        {
            return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
        }
        catch (org.bouncycastle.operator.OperatorCreationException e)
        {
            throw new GeneralSecurityException(e);
        }
    }
}
