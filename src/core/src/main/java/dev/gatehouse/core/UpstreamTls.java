package dev.gatehouse.core;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CRL;
import java.util.Collection;
import java.util.Locale;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.tls.JdkAuthTypes;
import dev.gatehouse.core.tls.TlsHardening;
import dev.gatehouse.core.tls.TlsProviders;
import dev.gatehouse.core.tls.TrustStores;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS towards https upstreams: certificate chain and host name always verified (Jetty's client
 * default, which nothing here turns off) by the JDK's trust managers, TLS 1.2 or later, the JDK's
 * CAs plus an optional extra trust store; the records encrypted by Conscrypt where it loads
 * ({@code gatehouse.upstream.tls-provider}).
 */
final class UpstreamTls
{
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamTls.class);
    private static final String KEY = TlsProviders.UPSTREAM_KEY;
    /** Jetty's ALPN for Conscrypt client engines: without it they cannot offer h2. */
    static final String CONSCRYPT_CLIENT_ALPN = "org.eclipse.jetty.alpn.conscrypt.client.ConscryptClientALPNProcessor";

    private UpstreamTls()
    {
    }

    static SslContextFactory.Client create(String app, CoreConfig core, ConfigurationProblems problems)
    {
        SslContextFactory.Client tls = new JdkTrustClient();
        tls.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setIncludeProtocols(TlsHardening.PROTOCOLS);
        TlsProviders.Choice provider = decide(TlsProviders.chooseUpstream(core.getUpstreamTlsProvider()), core, hasConscryptAlpn());
        if (provider.problem() != null)
            problems.add(KEY, provider.problem());
        tls.setProvider(provider.provider());
        if (provider.fallbackReason() != null && "https".equalsIgnoreCase(core.getUpstream().getScheme()))
            LOG.info("App '{}': upstream TLS by the JDK: {}; {}=jdk chooses the JDK without trying", app, provider.fallbackReason(), KEY);
        try
        {
            // Always a store, even of the JDK's CAs alone: with none, Jetty initialises the context
            // without asking for trust managers, and Conscrypt would use the JDK's unwrapped.
            tls.setTrustStore(TrustStores.jdkDefaultsPlus(core.getUpstreamTrustStore(), core.getUpstreamTrustStorePassword()));
        }
        catch (IOException | GeneralSecurityException e)
        {
            problems.add(ConfigBinder.NAMESPACE + "upstream.trust-store", "cannot read " + core.getUpstreamTrustStore() + ": " + e.getMessage());
        }
        return tls;
    }

    /**
     * The upstream's provider: the loaded choice, except that Conscrypt can offer h2 only with
     * Jetty's ALPN for Conscrypt clients (the distribution ships it beside Conscrypt, an embedding
     * may not have it); a fallback's reason worded for the log.
     */
    static TlsProviders.Choice decide(TlsProviders.Choice choice, CoreConfig core, boolean conscryptAlpn)
    {
        if (choice.fallbackReason() != null)
            return new TlsProviders.Choice(null, "Conscrypt does not load here (" + choice.fallbackReason() + ")", null);
        if (!TlsProviders.CONSCRYPT.equals(choice.provider()) || conscryptAlpn || core.getUpstreamProtocol() == CoreConfig.UpstreamProtocol.HTTP1)
            return choice;
        String missing = "jetty-alpn-conscrypt-client is not on the class path, and gatehouse.upstream.protocol=" +
            core.getUpstreamProtocol().name().toLowerCase(Locale.ROOT) + " needs ALPN (the distribution ships it in lib/gatehouse/conscrypt/)";
        if (core.getUpstreamTlsProvider() == TlsProviders.Setting.CONSCRYPT)
            return new TlsProviders.Choice(null, null, KEY + "=conscrypt, but " + missing + ". Set " + KEY + "=auto or jdk");
        return new TlsProviders.Choice(null, "Conscrypt cannot offer h2 here: " + missing, null);
    }

    private static boolean hasConscryptAlpn()
    {
        try
        {
            Class.forName(CONSCRYPT_CLIENT_ALPN, false, UpstreamTls.class.getClassLoader());
            return true;
        }
        catch (ClassNotFoundException | LinkageError e)
        {
            return false;
        }
    }

    /**
     * Trust and key managers from the JDK whichever provider makes the TLS context. Jetty asks the
     * context's provider first, and Conscrypt's trust manager factory is its own (Android's rules,
     * no PKIX parameters); the JDK's keeps what an upstream must present (the CA set,
     * {@code javax.net.ssl.trustStore}, host name verification, algorithm constraints) the same
     * for both engines. Conscrypt calls them through the standard {@code X509ExtendedTrustManager},
     * with one name of its own that {@link JdkAuthTypes} translates.
     */
    static final class JdkTrustClient extends SslContextFactory.Client
    {
        @Override
        protected TrustManager[] getTrustManagers(KeyStore trustStore, Collection<? extends CRL> crls) throws Exception
        {
            TrustManager[] managers = super.getTrustManagers(trustStore, crls);
            return TlsProviders.CONSCRYPT.equals(getProvider()) ? JdkAuthTypes.wrap(managers) : managers;
        }

        @Override
        protected TrustManagerFactory getTrustManagerFactoryInstance() throws NoSuchAlgorithmException
        {
            return TrustManagerFactory.getInstance(getTrustManagerFactoryAlgorithm());
        }

        @Override
        protected KeyManagerFactory getKeyManagerFactoryInstance() throws NoSuchAlgorithmException
        {
            return KeyManagerFactory.getInstance(getKeyManagerFactoryAlgorithm());
        }
    }
}
