package dev.gatehouse.core.tls;

import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * TLS settings Gatehouse enforces on every server-side TLS context, whatever the Jetty
 * properties say: TLS 1.2 and 1.3 only, and forward-secret suites only. jetty-home's
 * {@code ssl-context} module excludes fewer suites than embedded Jetty and lets the static-RSA
 * {@code TLS_RSA_*} suites through.
 */
public final class TlsHardening
{
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    public static final String[] EXCLUDED_CIPHER_SUITES = {
        "^TLS_RSA_.*$",
        "^.*_(MD5|SHA|SHA1)$",
        "^SSL_.*$",
        "^.*_NULL_.*$",
        "^.*_anon_.*$",
        "^.*_(RC4|DES|3DES|DES40|EXPORT)_.*$",
        "^TLS_DH_.*$",
        "^TLS_ECDH_.*$",
        "^TLS_PSK_.*$"
    };

    private TlsHardening()
    {
    }

    public static void apply(SslContextFactory.Server server)
    {
        server.setIncludeProtocols(PROTOCOLS);
        server.addExcludeProtocols("SSLv2Hello", "SSLv3", "TLSv1", "TLSv1.1");
        server.addExcludeCipherSuites(EXCLUDED_CIPHER_SUITES);
    }
}
