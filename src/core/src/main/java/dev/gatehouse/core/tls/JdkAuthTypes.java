package dev.gatehouse.core.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's trust manager behind Conscrypt. For TLS 1.3 Conscrypt names the key exchange
 * {@code GENERIC} (BoringSSL's name: TLS 1.3 suites do not fix one), where the JDK's own TLS passes
 * {@code UNKNOWN}; the JDK's end-entity check knows only its own names and refused every TLS 1.3
 * upstream with "Unknown authType: GENERIC". Everything else passes through unchanged, so the
 * chain, host name and key-usage checks are the JDK's.
 */
public final class JdkAuthTypes extends X509ExtendedTrustManager
{
    private static final String CONSCRYPT_TLS13 = "GENERIC";
    private static final String JDK_TLS13 = "UNKNOWN";

    private final X509ExtendedTrustManager delegate;

    private JdkAuthTypes(X509ExtendedTrustManager delegate)
    {
        this.delegate = delegate;
    }

    /**
     * @return the managers, each extended X.509 one wrapped
     */
    public static TrustManager[] wrap(TrustManager[] managers)
    {
        if (managers == null)
            return null;
        TrustManager[] wrapped = managers.clone();
        for (int i = 0; i < wrapped.length; i++)
        {
            if (wrapped[i] instanceof X509ExtendedTrustManager extended)
                wrapped[i] = new JdkAuthTypes(extended);
        }
        return wrapped;
    }

    private static String jdkName(String authType)
    {
        return CONSCRYPT_TLS13.equals(authType) ? JDK_TLS13 : authType;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException
    {
        delegate.checkServerTrusted(chain, jdkName(authType), engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException
    {
        delegate.checkServerTrusted(chain, jdkName(authType), socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException
    {
        delegate.checkServerTrusted(chain, jdkName(authType));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException
    {
        delegate.checkClientTrusted(chain, jdkName(authType), engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException
    {
        delegate.checkClientTrusted(chain, jdkName(authType), socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException
    {
        delegate.checkClientTrusted(chain, jdkName(authType));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers()
    {
        return delegate.getAcceptedIssuers();
    }
}
