package dev.gatehouse.core.tls;

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
import java.security.PrivateKey;
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
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for core's unit tests (the test kit's TestCertificates depends on core, so core
 * cannot use it): a CA, an intermediate, and leaves with chosen names, key types and validity.
 */
final class Pki
{
    record Issued(PrivateKey key, X509Certificate leaf, X509Certificate intermediate, X509Certificate root)
    {
        /** leaf, intermediate: what fullchain.pem holds */
        Object[] fullChain()
        {
            return new Object[]{leaf, intermediate};
        }
    }

    private final KeyPair rootKeys;
    private final X509Certificate root;
    private final KeyPair intermediateKeys;
    private final X509Certificate intermediate;

    Pki() throws Exception
    {
        rootKeys = keyPair("EC");
        X500Name rootName = new X500Name("CN=Test Root");
        root = sign(ca(rootName, rootKeys, rootName), rootKeys);
        intermediateKeys = keyPair("EC");
        intermediate = sign(ca(new X500Name("CN=Test Intermediate"), intermediateKeys, rootName), rootKeys);
    }

    Issued issue(String... names) throws Exception
    {
        return issue("EC", Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(90)), names);
    }

    Issued issue(String keyType, Instant notBefore, Instant notAfter, String... names) throws Exception
    {
        KeyPair keys = keyPair(keyType);
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name("CN=Test Intermediate"), new BigInteger(64, new SecureRandom()),
            Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + names[0]), keys.getPublic());
        List<GeneralName> alternatives = new ArrayList<>();
        for (String name : names)
            alternatives.add(new GeneralName(GeneralName.dNSName, name));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternatives.toArray(GeneralName[]::new)));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        return new Issued(keys.getPrivate(), sign(builder, intermediateKeys), intermediate, root);
    }

    X509Certificate root()
    {
        return root;
    }

    /**
     * Writes PEM blocks: certificates, and keys in their traditional form (PKCS#1 for RSA, SEC1 for EC).
     */
    static Path pem(Path file, Object... objects) throws IOException
    {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text))
        {
            for (Object object : objects)
                writer.writeObject(object instanceof java.security.interfaces.ECPrivateKey ec ? sec1(ec) : object);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text.toString());
        return file;
    }

    /**
     * An EC key as openssl writes it ("EC PRIVATE KEY", SEC1, with the curve). JcaPEMWriter would
     * write the JDK's key without its curve, which nothing can read back.
     */
    static org.bouncycastle.util.io.pem.PemObject sec1(java.security.interfaces.ECPrivateKey key) throws IOException
    {
        org.bouncycastle.asn1.pkcs.PrivateKeyInfo info = org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(key.getEncoded());
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(key.getParams().getOrder().bitLength(), key.getS(), null,
            info.getPrivateKeyAlgorithm().getParameters());
        return new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", sec1.getEncoded());
    }

    /**
     * @return the key as an unencrypted PKCS#8 PEM object ("PRIVATE KEY")
     */
    static Object pkcs8(PrivateKey key) throws Exception
    {
        return new JcaPKCS8Generator(key, null);
    }

    /**
     * @return the key as an encrypted PKCS#8 PEM object ("ENCRYPTED PRIVATE KEY")
     */
    static Object encryptedPkcs8(PrivateKey key, String password) throws Exception
    {
        OutputEncryptor encryptor = new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
            .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
            .setPassword(password.toCharArray()).build();
        return new JcaPKCS8Generator(key, encryptor);
    }

    static Path pkcs12(Path file, String password, Issued issued) throws Exception
    {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", issued.key(), password.toCharArray(), new X509Certificate[]{issued.leaf(), issued.intermediate()});
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream output = Files.newOutputStream(file))
        {
            store.store(output, password.toCharArray());
        }
        return file;
    }

    private static KeyPair keyPair(String type) throws GeneralSecurityException
    {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(type);
        if ("EC".equals(type))
            generator.initialize(new ECGenParameterSpec("secp256r1"));
        else
            generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder ca(X500Name subject, KeyPair keys, X500Name issuer) throws IOException
    {
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, new SecureRandom()),
            Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), subject, keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return builder;
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuer) throws Exception
    {
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    }
}
