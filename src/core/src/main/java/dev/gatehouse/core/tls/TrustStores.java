package dev.gatehouse.core.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Locale;

import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Trust for upstream TLS: the JDK's CA certificates plus, optionally, the certificates of an extra
 * store (PEM or PKCS12) for a private CA or tests. Extra trust is added to, never substituted for,
 * the JDK's, and there is no switch that turns verification off.
 */
public final class TrustStores
{
    private TrustStores()
    {
    }

    /**
     * @param extra a PEM file of certificates or a PKCS12 store, or {@code null}
     * @param password the PKCS12 password; ignored for PEM
     * @return a keystore with the JDK's trusted certificates and the extra ones
     */
    public static KeyStore jdkDefaultsPlus(Path extra, String password) throws IOException, GeneralSecurityException
    {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init((KeyStore)null);
        int index = 0;
        for (var manager : factory.getTrustManagers())
        {
            if (manager instanceof X509TrustManager x509)
            {
                for (X509Certificate issuer : x509.getAcceptedIssuers())
                    trust.setCertificateEntry("jdk-" + index++, issuer);
            }
        }
        if (extra != null)
        {
            int added = 0;
            for (Certificate certificate : read(extra, password))
                trust.setCertificateEntry("extra-" + added++, certificate);
            if (added == 0)
                throw new GeneralSecurityException(extra + " holds no certificate");
        }
        return trust;
    }

    static Collection<? extends Certificate> read(Path path, String password) throws IOException, GeneralSecurityException
    {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".p12") || name.endsWith(".pfx") || name.endsWith(".pkcs12"))
        {
            KeyStore store = KeyStore.getInstance("PKCS12");
            try (InputStream input = Files.newInputStream(path))
            {
                store.load(input, password == null || password.isEmpty() ? null : password.toCharArray());
            }
            java.util.List<Certificate> certificates = new java.util.ArrayList<>();
            for (String alias : java.util.Collections.list(store.aliases()))
            {
                Certificate certificate = store.getCertificate(alias);
                if (certificate != null)
                    certificates.add(certificate);
            }
            return certificates;
        }
        try (InputStream input = Files.newInputStream(path))
        {
            return CertificateFactory.getInstance("X.509").generateCertificates(input);
        }
    }
}
