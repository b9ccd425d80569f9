package dev.gatehouse.core;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.tls.CertificateReloader;
import dev.gatehouse.core.tls.ConscryptKeys;
import dev.gatehouse.core.tls.FirstEntrySniSelector;
import dev.gatehouse.core.tls.RecordBatchingSslConnectionFactory;
import dev.gatehouse.core.tls.SniCheckPerConnection;
import dev.gatehouse.core.tls.curves.FastCurves;
import dev.gatehouse.core.tls.SelfSignedCertificate;
import dev.gatehouse.core.tls.ServerCertificates;
import dev.gatehouse.core.tls.TlsHardening;
import dev.gatehouse.core.tls.TlsProviders;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ProcessorUtils;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.resource.Resource;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listeners: Jetty's own HTTPS connector (from the {@code https}/{@code http2} modules) made
 * safe and media-ready, plus Gatehouse's optional redirect and tunnel listeners.
 */
final class Listeners
{
    static final String TUNNEL_CONNECTOR_NAME = "gatehouse-tunnel";
    static final String SELF_SIGNED_KEYSTORE = SelfSignedCertificate.DEFAULT_PATH;
    private static final Logger LOG = LoggerFactory.getLogger(Listeners.class);

    private Listeners()
    {
    }

    static void configure(Server server, CoreConfig core, Map<String, Object> ids, Path base, List<HttpConfiguration.Customizer> customizers, ConfigurationProblems problems)
    {
        Set<HttpConfiguration> configurations = Collections.newSetFromMap(new IdentityHashMap<>());
        Set<SslContextFactory.Server> tlsContexts = Collections.newSetFromMap(new IdentityHashMap<>());
        RecordBatchingSslConnectionFactory.replaceIn(server.getConnectors());
        NextRequestBySelector.replaceIn(server.getConnectors());
        FastCurves.apply(core.isTlsFastCurves());
        for (Connector connector : server.getConnectors())
        {
            if (connector instanceof ServerConnector serverConnector)
            {
                serverConnector.setIdleTimeout(core.getClientIdleTimeout().toMillis());
                if (serverConnector.getConnectionFactory(SslConnectionFactory.class) != null)
                    LOG.info("HTTPS listener selectors: {}, on {} CPUs (jetty.ssl.selectors; bin/gatehouse sets one per CPU unless you do)",
                        serverConnector.getSelectorManager().getSelectorCount(), ProcessorUtils.availableProcessors());
            }
            for (ConnectionFactory factory : connector.getConnectionFactories())
            {
                if (factory instanceof HttpConfiguration.ConnectionFactory http)
                    configurations.add(http.getHttpConfiguration());
                if (factory instanceof SslConnectionFactory ssl)
                    tlsContexts.add(ssl.getSslContextFactory());
            }
        }
        if (ids.get("sslContextFactory") instanceof SslContextFactory.Server ssl)
            tlsContexts.add(ssl);
        for (SslContextFactory.Server ssl : tlsContexts)
            configureTls(server, ssl, core, base, problems);
        for (HttpConfiguration configuration : configurations)
        {
            if (configuration.getCustomizers().stream().anyMatch(ForwardedRequestCustomizer.class::isInstance))
            {
                problems.add("Jetty's 'forwarded' module is enabled: it believes X-Forwarded-For and Forwarded from every client, so anyone could claim any address. " +
                    "Disable it (remove start.d/forwarded.ini or its line in start.ini) and use the gatehouse-forwarded module, which trusts configured proxies only");
                break;
            }
        }
        for (HttpConfiguration configuration : configurations)
        {
            SniCheckPerConnection.replaceIn(configuration);
            customizers.forEach(configuration::addCustomizer);
        }

        HttpConfiguration template = ids.get("httpConfig") instanceof HttpConfiguration shared ? shared : new HttpConfiguration();
        if (core.getRedirectPort() > 0)
        {
            HttpConfiguration redirect = new HttpConfiguration(template);
            redirect.setSendServerVersion(false);
            ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(redirect));
            connector.setName(RedirectToHttpsHandler.CONNECTOR_NAME);
            connector.setHost(core.getRedirectHost().isEmpty() ? null : core.getRedirectHost());
            connector.setPort(core.getRedirectPort());
            // A redirect is one short exchange; no reason to keep idle browsers' sockets for long.
            connector.setIdleTimeout(30_000);
            server.addConnector(connector);
        }
        if (core.getTunnelPort() > 0)
        {
            HttpConfiguration tunnel = new HttpConfiguration(template);
            tunnel.setSendServerVersion(false);
            tunnel.getCustomizers().clear();
            tunnel.addCustomizer(new TunnelSchemeCustomizer());
            customizers.forEach(tunnel::addCustomizer);
            ServerConnector connector = new ServerConnector(server, new NextRequestBySelector(tunnel), new HTTP2CServerConnectionFactory(tunnel));
            connector.setName(TUNNEL_CONNECTOR_NAME);
            connector.setHost(core.getTunnelHost());
            connector.setPort(core.getTunnelPort());
            connector.setIdleTimeout(core.getClientIdleTimeout().toMillis());
            server.addConnector(connector);
        }
    }

    private static void configureTls(Server server, SslContextFactory.Server ssl, CoreConfig core, Path base, ConfigurationProblems problems)
    {
        TlsProviders.Choice provider = TlsProviders.choose(core.getTlsProvider(), ssl.getProvider());
        if (provider.problem() != null)
            problems.add(provider.problem());
        ssl.setProvider(provider.provider());
        if (TlsProviders.CONSCRYPT.equals(provider.provider()))
            ConscryptKeys.apply(ssl);
        if (provider.fallbackReason() != null)
            LOG.info("HTTPS TLS by the JDK: Conscrypt does not load here ({}); gatehouse.tls.provider=jdk chooses the JDK without trying", provider.fallbackReason());
        TlsHardening.apply(ssl);
        ssl.addEventListener(new TlsReport());
        if (!core.getTlsCertificates().isEmpty())
        {
            configureCertificates(server, ssl, core, base, problems);
            return;
        }
        if (ssl.getKeyStore() != null)
            return;
        Resource keyStore = ssl.getKeyStoreResource();
        if (keyStore != null && keyStore.exists())
            return;
        if (!core.isTlsSelfSigned())
        {
            problems.add("no certificate: the keystore " + (keyStore == null ? "(none)" : keyStore) + " does not exist. Set gatehouse.tls.certificates, or jetty.sslContext.keyStorePath (and its password), or gatehouse.tls.self-signed=true for a self-signed localhost certificate");
            return;
        }
        Path path = base.resolve(SELF_SIGNED_KEYSTORE);
        try
        {
            ssl.setKeyStore(SelfSignedCertificate.loadOrCreate(path));
            ssl.setKeyStorePath((String)null);
            ssl.setKeyStorePassword(SelfSignedCertificate.PASSWORD);
            ssl.setKeyManagerPassword(SelfSignedCertificate.PASSWORD);
            ssl.setCertAlias(SelfSignedCertificate.ALIAS);
            LOG.warn("No certificate configured: using the self-signed certificate for localhost in {}. Browsers will warn; configure a real certificate for use beyond this machine.", path);
        }
        catch (IOException | GeneralSecurityException e)
        {
            problems.add(ConfigBinder.NAMESPACE + "tls.self-signed", "cannot create or read " + path + ": " + e.getMessage());
        }
    }

    /**
     * The certificates of {@code gatehouse.tls.certificates}, in one in-memory keystore picked from
     * by SNI, watched for changes.
     */
    private static void configureCertificates(Server server, SslContextFactory.Server ssl, CoreConfig core, Path base, ConfigurationProblems problems)
    {
        String key = ConfigBinder.NAMESPACE + "tls.certificates";
        // Jetty's ssl-context module always names a keystore; Gatehouse's default one is a
        // placeholder then, any other one is a second source of certificates.
        Resource configuredKeyStore = ssl.getKeyStoreResource();
        if (ssl.getKeyStore() != null || (configuredKeyStore != null && configuredKeyStore.getPath() != null &&
            !configuredKeyStore.getPath().toAbsolutePath().normalize().equals(base.resolve(SELF_SIGNED_KEYSTORE).toAbsolutePath().normalize())))
        {
            problems.add(key, "jetty.sslContext.keyStorePath (" + (configuredKeyStore == null ? "a keystore" : configuredKeyStore.getPath()) +
                ") is set too; use one of the two (gatehouse.tls.certificates takes PKCS12 files as well)");
            return;
        }
        Clock clock = Clock.systemUTC();
        ServerCertificates certificates = ServerCertificates.load(core.getTlsCertificates(), core.getTlsCertificatesPassword(), clock.instant());
        certificates.problems().forEach(problem -> problems.add(key, problem));
        if (!certificates.problems().isEmpty())
            return;
        ssl.setKeyStorePath((String)null);
        ssl.setKeyStore(certificates.keyStore());
        ssl.setKeyStorePassword(ServerCertificates.KEY_PASSWORD);
        ssl.setKeyManagerPassword(ServerCertificates.KEY_PASSWORD);
        ssl.setCertAlias(null);
        ssl.setSNISelector(new FirstEntrySniSelector(ssl));
        LOG.info("HTTPS certificates ({}):", key);
        CertificateReloader.log(certificates, clock);
        server.addBean(new CertificateReloader(ssl, core.getTlsCertificates(), core.getTlsCertificatesPassword(), core.getTlsScanInterval(), certificates, clock));
    }

    /**
     * Logs, once the TLS context has started, which provider serves it and what it allows: the
     * proof that a provider module (Conscrypt) took effect and that the hardening held.
     */
    private static final class TlsReport implements LifeCycle.Listener
    {
        private boolean reported;

        @Override
        public void lifeCycleStarted(LifeCycle event)
        {
            // reload() does not restart the factory as a LifeCycle, but be safe: report once.
            if (reported || !(event instanceof SslContextFactory.Server ssl) || ssl.getSslContext() == null)
                return;
            reported = true;
            String[] suites = ssl.getSelectedCipherSuites();
            List<String> withoutForwardSecrecy = java.util.Arrays.stream(suites)
                .filter(suite -> suite.startsWith("TLS_RSA_") || suite.startsWith("TLS_DH_") || suite.startsWith("TLS_ECDH_") || suite.startsWith("SSL_"))
                .toList();
            LOG.info("HTTPS TLS provider {} {}; protocols {}; {} cipher suites{}{}",
                ssl.getSslContext().getProvider().getName(), ssl.getSslContext().getProvider().getVersionStr(),
                String.join(", ", ssl.getSelectedProtocols()), suites.length, withoutForwardSecrecy.isEmpty() ? ", all forward-secret" : "",
                FastCurves.isInstalled() && "SunJSSE".equals(ssl.getSslContext().getProvider().getName()) ? "; X25519 and ECDSA P-256 by " + FastCurves.PROVIDER_NAME + " (BouncyCastle's arithmetic)" : "");
            if (!withoutForwardSecrecy.isEmpty())
                LOG.warn("HTTPS allows cipher suites without forward secrecy: {}", withoutForwardSecrecy);
        }
    }

    /**
     * @return the port of the HTTPS listener, where the redirect listener sends browsers
     */
    static int httpsPort(Server server, Map<String, String> properties)
    {
        for (Connector connector : server.getConnectors())
        {
            if (connector instanceof NetworkConnector network && connector.getConnectionFactory(SslConnectionFactory.class) != null && network.getPort() > 0)
                return network.getPort();
        }
        try
        {
            return Integer.parseInt(properties.getOrDefault("jetty.ssl.port", "8443"));
        }
        catch (NumberFormatException e)
        {
            return 8443;
        }
    }
}
