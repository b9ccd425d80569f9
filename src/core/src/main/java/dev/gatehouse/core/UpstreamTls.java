package dev.gatehouse.core;

import java.io.IOException;
import java.security.GeneralSecurityException;

import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.tls.TlsHardening;
import dev.gatehouse.core.tls.TrustStores;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * TLS towards https upstreams: certificate chain and host name always verified (Jetty's client
 * default, which nothing here turns off), TLS 1.2 or later, the JDK's CAs plus an optional extra
 * trust store.
 */
final class UpstreamTls
{
    private UpstreamTls()
    {
    }

    static SslContextFactory.Client create(CoreConfig core, ConfigurationProblems problems)
    {
        SslContextFactory.Client tls = new SslContextFactory.Client();
        tls.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setIncludeProtocols(TlsHardening.PROTOCOLS);
        if (core.getUpstreamTrustStore() != null)
        {
            try
            {
                tls.setTrustStore(TrustStores.jdkDefaultsPlus(core.getUpstreamTrustStore(), core.getUpstreamTrustStorePassword()));
            }
            catch (IOException | GeneralSecurityException e)
            {
                problems.add(ConfigBinder.NAMESPACE + "upstream.trust-store", "cannot read " + core.getUpstreamTrustStore() + ": " + e.getMessage());
            }
        }
        return tls;
    }
}
