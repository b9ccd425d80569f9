package dev.gatehouse.core.tls;

import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * Conscrypt's TLS 1.3 name for the key exchange reaches the JDK's trust manager as the JDK's own;
 * the end-to-end case (a TLS 1.3 upstream verified through Conscrypt) is in the testkit's
 * UpstreamTlsProviderTest.
 */
class JdkAuthTypesTest
{
    /** Records the auth types it is asked about. */
    private static final class Recording extends X509ExtendedTrustManager
    {
        final List<String> seen = new ArrayList<>();

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        {
            seen.add("server engine " + authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        {
            seen.add("server socket " + authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType)
        {
            seen.add("server " + authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        {
            seen.add("client engine " + authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        {
            seen.add("client socket " + authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType)
        {
            seen.add("client " + authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers()
        {
            return new X509Certificate[0];
        }
    }

    @Test
    void conscryptsTls13NameBecomesTheJdksAndOthersPassUnchanged() throws Exception
    {
        Recording recording = new Recording();
        X509ExtendedTrustManager wrapped = (X509ExtendedTrustManager)JdkAuthTypes.wrap(new TrustManager[]{recording})[0];
        X509Certificate[] chain = new X509Certificate[0];
        wrapped.checkServerTrusted(chain, "GENERIC", (SSLEngine)null);
        wrapped.checkServerTrusted(chain, "GENERIC", (Socket)null);
        wrapped.checkServerTrusted(chain, "GENERIC");
        wrapped.checkClientTrusted(chain, "GENERIC", (SSLEngine)null);
        wrapped.checkClientTrusted(chain, "GENERIC", (Socket)null);
        wrapped.checkClientTrusted(chain, "GENERIC");
        wrapped.checkServerTrusted(chain, "ECDHE_RSA", (SSLEngine)null);
        assertEquals(List.of("server engine UNKNOWN", "server socket UNKNOWN", "server UNKNOWN",
            "client engine UNKNOWN", "client socket UNKNOWN", "client UNKNOWN", "server engine ECDHE_RSA"), recording.seen);
    }

    @Test
    void onlyExtendedTrustManagersAreWrapped()
    {
        X509TrustManager plain = new X509TrustManager()
        {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType)
            {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType)
            {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers()
            {
                return new X509Certificate[0];
            }
        };
        TrustManager[] wrapped = JdkAuthTypes.wrap(new TrustManager[]{plain, new Recording()});
        assertSame(plain, wrapped[0]);
        assertInstanceOf(JdkAuthTypes.class, wrapped[1]);
        assertEquals(null, JdkAuthTypes.wrap(null));
    }
}
