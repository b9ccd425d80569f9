package dev.gatehouse.core.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.X509TrustedCertificateBlock;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The server's certificates from {@code gatehouse.tls.certificates}: every entry read, checked and
 * put in one in-memory keystore, one alias per entry in the configured order
 * ({@code gatehouse-1}, {@code gatehouse-2}, ...), for Jetty's {@code SslContextFactory}, whose
 * key manager picks one by SNI. Every problem names its file and says what is wrong; nothing is
 * thrown.
 */
public final class ServerCertificates
{
    /**
     * Protects the in-memory keystore's entries, which never leave the process; the JDK's key
     * manager needs some password to read them back.
     */
    public static final String KEY_PASSWORD = "gatehouse-in-memory";
    public static final String ALIAS_PREFIX = "gatehouse-";
    static final String PASSWORD_KEY = "gatehouse.tls.certificates-password";

    private final KeyStore keyStore;
    private final List<Certificate> certificates;
    private final List<String> problems;
    private final List<String> warnings;
    private final String fingerprint;

    private ServerCertificates(KeyStore keyStore, List<Certificate> certificates, List<String> problems, List<String> warnings, String fingerprint)
    {
        this.keyStore = keyStore;
        this.certificates = certificates;
        this.problems = problems;
        this.warnings = warnings;
        this.fingerprint = fingerprint;
    }

    /**
     * One loaded entry.
     *
     * @param alias its alias in the keystore
     * @param files where it came from
     * @param chain the server's certificate first
     */
    public record Certificate(String alias, CertificateFiles files, PrivateKey key, X509Certificate[] chain)
    {
        public X509Certificate leaf()
        {
            return chain[0];
        }

        /**
         * @return the DNS names and addresses the certificate is for (its SANs, or its CN when it has none)
         */
        public List<String> names()
        {
            return ServerCertificates.names(leaf());
        }

        /**
         * @return one line for the log: file, names, issuer, expiry
         */
        public String describe(Instant now)
        {
            Instant notAfter = leaf().getNotAfter().toInstant();
            long days = Duration.between(now, notAfter).toDays();
            return files + ": " + String.join(", ", names()) + "; " + leaf().getPublicKey().getAlgorithm() + " key; issuer " +
                leaf().getIssuerX500Principal().getName() + "; expires " + notAfter.truncatedTo(ChronoUnit.SECONDS) +
                (notAfter.isBefore(now) ? " (EXPIRED)" : " (in " + days + " days)");
        }
    }

    /**
     * Reads every entry and builds the keystore.
     */
    public static ServerCertificates load(List<Path> entries, String password, Instant now)
    {
        return build(entries.stream().map(CertificateFiles::read).toList(), password, now);
    }

    /**
     * Builds the keystore from entries already read.
     */
    public static ServerCertificates build(List<CertificateFiles> entries, String password, Instant now)
    {
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<Certificate> certificates = new ArrayList<>();
        int index = 0;
        for (CertificateFiles files : entries)
        {
            index++;
            if (!files.isReadable())
            {
                problems.add(files.problem());
                continue;
            }
            try
            {
                KeyAndChain loaded = files.layout() == CertificateFiles.Layout.PKCS12 ? readPkcs12(files, password) : readPem(files, password);
                certificates.add(new Certificate(ALIAS_PREFIX + index, files, loaded.key(), loaded.chain()));
                warnings.addAll(loaded.warnings());
            }
            catch (Problem problem)
            {
                problems.add(problem.getMessage());
            }
        }
        for (Certificate certificate : certificates)
            warnings.addAll(validity(certificate, now));
        warnings.addAll(overlaps(certificates));

        KeyStore keyStore = null;
        if (problems.isEmpty())
        {
            try
            {
                keyStore = KeyStore.getInstance("PKCS12");
                keyStore.load(null, null);
            }
            catch (GeneralSecurityException | IOException e)
            {
                throw new IllegalStateException("the JDK has no PKCS12 keystore", e);
            }
            for (Certificate certificate : certificates)
            {
                try
                {
                    keyStore.setKeyEntry(certificate.alias(), certificate.key(), KEY_PASSWORD.toCharArray(), certificate.chain());
                }
                catch (GeneralSecurityException e)
                {
                    problems.add(certificate.files().certificateFile() + ": cannot be used (" + e.getMessage() + ")");
                }
            }
            if (!problems.isEmpty())
                keyStore = null;
        }
        return new ServerCertificates(keyStore, List.copyOf(certificates), List.copyOf(problems), List.copyOf(warnings), CertificateFiles.fingerprint(entries));
    }

    /**
     * @return the keystore, or {@code null} when there are problems
     */
    public KeyStore keyStore()
    {
        return keyStore;
    }

    public List<Certificate> certificates()
    {
        return certificates;
    }

    /**
     * @return what makes these certificates unusable, each naming its file; empty when usable
     */
    public List<String> problems()
    {
        return problems;
    }

    /**
     * @return what is served anyway but deserves attention (expiry, overlapping names, chain order)
     */
    public List<String> warnings()
    {
        return warnings;
    }

    /**
     * @return a fingerprint of the files as read (paths, link targets, contents)
     */
    public String fingerprint()
    {
        return fingerprint;
    }

    private record KeyAndChain(PrivateKey key, X509Certificate[] chain, List<String> warnings)
    {
    }

    private static KeyAndChain readPkcs12(CertificateFiles files, String password) throws Problem
    {
        Path file = files.certificateFile();
        KeyStore store;
        char[] secret = password == null ? new char[0] : password.toCharArray();
        try
        {
            store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(files.certificateBytes()), secret);
        }
        catch (IOException e)
        {
            if (e.getCause() instanceof UnrecoverableKeyException)
                throw new Problem(file + ": cannot open the PKCS12 keystore: wrong password (" + PASSWORD_KEY + ")");
            throw new Problem(file + ": not a readable PKCS12 keystore (" + e.getMessage() + ")");
        }
        catch (GeneralSecurityException e)
        {
            throw new Problem(file + ": not a readable PKCS12 keystore (" + e.getMessage() + ")");
        }
        List<String> keyAliases = new ArrayList<>();
        try
        {
            for (String alias : Collections.list(store.aliases()))
            {
                if (store.isKeyEntry(alias))
                    keyAliases.add(alias);
            }
            if (keyAliases.isEmpty())
            {
                boolean anyCertificate = store.size() > 0;
                throw new Problem(file + ": holds no private key" + (anyCertificate ? " (only trusted certificates)" : ""));
            }
            if (keyAliases.size() > 1)
                throw new Problem(file + ": holds " + keyAliases.size() + " private keys (aliases " + String.join(", ", keyAliases) + "); an entry holds exactly one certificate and its key");
            String alias = keyAliases.get(0);
            java.security.Key key;
            try
            {
                key = store.getKey(alias, secret);
            }
            catch (UnrecoverableKeyException e)
            {
                throw new Problem(file + ": cannot read the private key: wrong password (" + PASSWORD_KEY + ")");
            }
            if (!(key instanceof PrivateKey privateKey))
                throw new Problem(file + ": holds no private key");
            java.security.cert.Certificate[] chain = store.getCertificateChain(alias);
            if (chain == null || chain.length == 0)
                throw new Problem(file + ": holds no certificate for its private key");
            List<X509Certificate> certificates = new ArrayList<>();
            for (java.security.cert.Certificate certificate : chain)
                certificates.add((X509Certificate)certificate);
            return checked(files, privateKey, certificates);
        }
        catch (GeneralSecurityException e)
        {
            throw new Problem(file + ": not a readable PKCS12 keystore (" + e.getMessage() + ")");
        }
    }

    private static KeyAndChain readPem(CertificateFiles files, String password) throws Problem
    {
        PemContents certificateContents = parsePem(files.certificateFile(), files.certificateBytes(), password);
        PemContents keyContents = files.isSingleFile() ? certificateContents : parsePem(files.keyFile(), files.keyBytes(), password);
        if (certificateContents.certificates().isEmpty())
            throw new Problem(files.certificateFile() + ": holds no certificate (expected PEM blocks -----BEGIN CERTIFICATE-----)");
        if (keyContents.keys().isEmpty())
            throw new Problem(files.keyFile() + ": holds no private key (expected a PEM block -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)");
        if (keyContents.keys().size() > 1)
            throw new Problem(files.keyFile() + ": holds " + keyContents.keys().size() + " private keys; an entry holds exactly one certificate and its key");
        return checked(files, keyContents.keys().get(0), certificateContents.certificates());
    }

    /**
     * Checks that the key belongs to the first certificate and that the chain is in issuing order.
     */
    private static KeyAndChain checked(CertificateFiles files, PrivateKey key, List<X509Certificate> certificates) throws Problem
    {
        Path certificateFile = files.certificateFile();
        int leaf = -1;
        for (int i = 0; i < certificates.size(); i++)
        {
            if (matches(key, certificates.get(i).getPublicKey()))
            {
                leaf = i;
                break;
            }
        }
        String keyPlace = files.isSingleFile() ? "the private key in the same file" : "the private key in " + files.keyFile();
        if (leaf < 0)
            throw new Problem(certificateFile + ": the certificate for " + String.join(", ", names(certificates.get(0))) + " does not match " + keyPlace);
        if (leaf > 0)
            throw new Problem(certificateFile + ": the certificate matching " + keyPlace + " is number " + (leaf + 1) +
                " in the file; the server's own certificate must come first, then its issuers");
        List<String> warnings = new ArrayList<>();
        List<X509Certificate> chain = issuingOrder(certificates);
        if (!chain.equals(certificates.subList(0, chain.size())) || chain.size() < certificates.size())
        {
            List<X509Certificate> left = new ArrayList<>(certificates);
            left.removeAll(chain);
            warnings.add(certificateFile + ": the certificates after the server's are not in issuing order; sent as " +
                String.join(" <- ", chain.stream().map(certificate -> certificate.getSubjectX500Principal().getName()).toList()) +
                (left.isEmpty() ? "" : "; left out, as they issued none of these: " + String.join(", ", left.stream().map(certificate -> certificate.getSubjectX500Principal().getName()).toList())));
        }
        X509Certificate first = certificates.get(0);
        if (certificates.size() == 1 && !first.getIssuerX500Principal().equals(first.getSubjectX500Principal()))
            warnings.add(certificateFile + ": holds only the server's certificate, without the intermediate certificate of its issuer (" +
                first.getIssuerX500Principal().getName() + "); many clients need it: use the full chain (certbot: fullchain.pem, acme.sh: fullchain.cer)");
        return new KeyAndChain(key, chain.toArray(X509Certificate[]::new), warnings);
    }

    /**
     * @return the first certificate followed by its issuers as found among the others, each issuing
     *     the one before it (what TLS 1.2 requires and the JDK's keystore insists on)
     */
    private static List<X509Certificate> issuingOrder(List<X509Certificate> certificates)
    {
        List<X509Certificate> chain = new ArrayList<>(List.of(certificates.get(0)));
        List<X509Certificate> remaining = new ArrayList<>(certificates.subList(1, certificates.size()));
        while (!remaining.isEmpty())
        {
            X509Certificate last = chain.get(chain.size() - 1);
            if (last.getIssuerX500Principal().equals(last.getSubjectX500Principal()))
                break;
            X509Certificate issuer = remaining.stream()
                .filter(candidate -> candidate.getSubjectX500Principal().equals(last.getIssuerX500Principal()))
                .findFirst()
                .orElse(null);
            if (issuer == null)
                break;
            chain.add(issuer);
            remaining.remove(issuer);
        }
        return chain;
    }

    /**
     * @return whether the private key is the one of the public key: same RSA modulus, or else a
     *     signature made with the private key verifies with the public key (EC, EdDSA)
     */
    static boolean matches(PrivateKey privateKey, PublicKey publicKey)
    {
        if (privateKey instanceof RSAPrivateKey rsa)
            return publicKey instanceof RSAPublicKey rsaPublic && rsa.getModulus().equals(rsaPublic.getModulus());
        String algorithm = switch (privateKey.getAlgorithm())
        {
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> privateKey.getAlgorithm();
            case "DSA" -> "SHA256withDSA";
            default -> null;
        };
        if (algorithm == null || !sameFamily(privateKey.getAlgorithm(), publicKey.getAlgorithm()))
            return false;
        try
        {
            byte[] message = "gatehouse key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(message);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(message);
            return verifier.verify(signature);
        }
        catch (GeneralSecurityException e)
        {
            return false;
        }
    }

    private static boolean sameFamily(String a, String b)
    {
        return normalise(a).equals(normalise(b));
    }

    private static String normalise(String algorithm)
    {
        return switch (algorithm)
        {
            case "ECDSA" -> "EC";
            case "Ed25519", "Ed448" -> "EdDSA";
            default -> algorithm;
        };
    }

    private record PemContents(List<X509Certificate> certificates, List<PrivateKey> keys)
    {
    }

    private static PemContents parsePem(Path file, byte[] bytes, String password) throws Problem
    {
        List<X509Certificate> certificates = new ArrayList<>();
        List<PrivateKey> keys = new ArrayList<>();
        JcaPEMKeyConverter keyConverter = new JcaPEMKeyConverter();
        JcaX509CertificateConverter certificateConverter = new JcaX509CertificateConverter();
        // A wrong password may decrypt to garbage with valid padding; any failure then means "wrong password".
        boolean decrypting = false;
        try (Reader text = new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(text))
        {
            for (Object object = parser.readObject(); object != null; object = parser.readObject())
            {
                if (object instanceof X509CertificateHolder holder)
                    certificates.add(certificateConverter.getCertificate(holder));
                else if (object instanceof X509TrustedCertificateBlock trusted)
                    certificates.add(certificateConverter.getCertificate(trusted.getCertificateHolder()));
                else if (object instanceof PEMKeyPair pair)
                    keys.add(keyConverter.getPrivateKey(pair.getPrivateKeyInfo()));
                else if (object instanceof PrivateKeyInfo info)
                    keys.add(keyConverter.getPrivateKey(info));
                else if (object instanceof PEMEncryptedKeyPair encrypted)
                {
                    char[] secret = requirePassword(file, password).toCharArray();
                    decrypting = true;
                    keys.add(keyConverter.getPrivateKey(encrypted.decryptKeyPair(new JcePEMDecryptorProviderBuilder()
                        .setProvider(bouncyCastle()).build(secret)).getPrivateKeyInfo()));
                    decrypting = false;
                }
                else if (object instanceof PKCS8EncryptedPrivateKeyInfo encrypted)
                {
                    char[] secret = requirePassword(file, password).toCharArray();
                    decrypting = true;
                    keys.add(keyConverter.getPrivateKey(encrypted.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder()
                        .setProvider(bouncyCastle()).build(secret))));
                    decrypting = false;
                }
                // Anything else (EC PARAMETERS from openssl ecparam, a CSR, a CRL) is not ours to judge.
            }
        }
        catch (Problem problem)
        {
            throw problem;
        }
        catch (org.bouncycastle.openssl.EncryptionException | PKCSException e)
        {
            throw new Problem(file + ": cannot decrypt the private key: wrong password (" + PASSWORD_KEY + ")");
        }
        catch (PEMException e)
        {
            if (decrypting)
                throw new Problem(file + ": cannot decrypt the private key: wrong password (" + PASSWORD_KEY + ")");
            throw new Problem(file + ": cannot read the private key (" + rootMessage(e) + ")");
        }
        catch (IOException | OperatorCreationException e)
        {
            throw new Problem(file + ": not a valid PEM file (" + rootMessage(e) + ")");
        }
        catch (CertificateException e)
        {
            throw new Problem(file + ": holds a certificate that cannot be read (" + rootMessage(e) + ")");
        }
        catch (RuntimeException e)
        {
            if (decrypting)
                throw new Problem(file + ": cannot decrypt the private key: wrong password (" + PASSWORD_KEY + ")");
            // BouncyCastle reports some malformed ASN.1 as unchecked exceptions.
            throw new Problem(file + ": not a valid PEM file (" + rootMessage(e) + ")");
        }
        return new PemContents(certificates, keys);
    }

    private static String requirePassword(Path file, String password) throws Problem
    {
        if (password == null || password.isEmpty())
            throw new Problem(file + ": the private key is encrypted and " + PASSWORD_KEY + " is not set");
        return password;
    }

    private static BouncyCastleProvider bouncyCastleProvider;

    /**
     * BouncyCastle as a provider object for decrypting legacy PEM encryption, never registered
     * JVM-wide.
     */
    private static synchronized BouncyCastleProvider bouncyCastle()
    {
        if (bouncyCastleProvider == null)
            bouncyCastleProvider = new BouncyCastleProvider();
        return bouncyCastleProvider;
    }

    private static String rootMessage(Throwable throwable)
    {
        Throwable cause = throwable;
        while (cause.getCause() != null && cause.getCause() != cause)
            cause = cause.getCause();
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message;
    }

    /**
     * Certificates expiring sooner than this get a warning: ACME clients renew 30 days ahead, so
     * one this close to its end means renewal is failing.
     */
    static final Duration EXPIRY_WARNING = Duration.ofDays(14);

    /**
     * @return warnings for certificates that have expired, are not yet valid, or expire within 14 days
     */
    public List<String> validityWarnings(Instant now)
    {
        List<String> warnings = new ArrayList<>();
        for (Certificate certificate : certificates)
            warnings.addAll(validity(certificate, now));
        return warnings;
    }

    private static List<String> validity(Certificate certificate, Instant now)
    {
        X509Certificate leaf = certificate.leaf();
        Date notBefore = leaf.getNotBefore();
        Date notAfter = leaf.getNotAfter();
        String subject = String.join(", ", certificate.names());
        if (notAfter.toInstant().isBefore(now))
            return List.of(certificate.files().certificateFile() + ": the certificate for " + subject + " EXPIRED on " + notAfter.toInstant().truncatedTo(ChronoUnit.SECONDS) +
                "; it is served anyway, and clients will refuse it until it is renewed");
        if (notBefore.toInstant().isAfter(now))
            return List.of(certificate.files().certificateFile() + ": the certificate for " + subject + " is NOT VALID BEFORE " + notBefore.toInstant().truncatedTo(ChronoUnit.SECONDS) +
                "; it is served anyway, and clients will refuse it until then (is the clock right?)");
        if (notAfter.toInstant().isBefore(now.plus(EXPIRY_WARNING)))
            return List.of(certificate.files().certificateFile() + ": the certificate for " + subject + " expires on " + notAfter.toInstant().truncatedTo(ChronoUnit.SECONDS) +
                ", in " + Duration.between(now, notAfter.toInstant()).toHours() / 24 + " days; is its renewal running?");
        return List.of();
    }

    /**
     * Two entries with the same name and the same key type: the first listed wins. An RSA and an
     * EC certificate for the same name are a deliberate pair, not an overlap.
     */
    private static List<String> overlaps(List<Certificate> certificates)
    {
        List<String> warnings = new ArrayList<>();
        Map<String, Certificate> firstByName = new LinkedHashMap<>();
        Set<String> reported = new LinkedHashSet<>();
        for (Certificate certificate : certificates)
        {
            String keyType = normalise(certificate.leaf().getPublicKey().getAlgorithm());
            for (String name : certificate.names())
            {
                String key = keyType + " " + name.toLowerCase(Locale.ROOT);
                Certificate first = firstByName.putIfAbsent(key, certificate);
                if (first != null && first != certificate && reported.add(key))
                    warnings.add(name + " is in two certificates, " + first.files().certificateFile() + " and " + certificate.files().certificateFile() +
                        "; clients asking for " + name + " get the first listed in gatehouse.tls.certificates");
            }
        }
        return warnings;
    }

    /**
     * @return the DNS names and IP addresses of a certificate's subject alternative names, or its
     *     common name when it has none (what Jetty's SNI matching also uses)
     */
    static List<String> names(X509Certificate certificate)
    {
        List<String> names = new ArrayList<>();
        try
        {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null)
            {
                for (List<?> alternative : alternatives)
                {
                    int type = (Integer)alternative.get(0);
                    if (type == 2 || type == 7)
                        names.add(String.valueOf(alternative.get(1)));
                }
            }
        }
        catch (CertificateException e)
        {
            // fall back to the common name
        }
        if (names.isEmpty())
        {
            try
            {
                for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns())
                {
                    if ("CN".equalsIgnoreCase(rdn.getType()))
                        names.add(String.valueOf(rdn.getValue()));
                }
            }
            catch (InvalidNameException e)
            {
                // no usable name
            }
        }
        if (names.isEmpty())
            names.add(certificate.getSubjectX500Principal().getName());
        return names;
    }

    /**
     * A user-facing problem with one entry.
     */
    private static final class Problem extends Exception
    {
        Problem(String message)
        {
            super(message, null, false, false);
        }
    }
}
