package dev.gatehouse.core;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.tls.SelfSignedCertificate;
import dev.gatehouse.core.tls.TlsHardening;
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
        for (Connector connector : server.getConnectors())
        {
            if (connector instanceof ServerConnector serverConnector)
                serverConnector.setIdleTimeout(core.getClientIdleTimeout().toMillis());
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
            configureTls(ssl, core, base, problems);
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
            customizers.forEach(configuration::addCustomizer);

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
            ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(tunnel), new HTTP2CServerConnectionFactory(tunnel));
            connector.setName(TUNNEL_CONNECTOR_NAME);
            connector.setHost(core.getTunnelHost());
            connector.setPort(core.getTunnelPort());
            connector.setIdleTimeout(core.getClientIdleTimeout().toMillis());
            server.addConnector(connector);
        }
    }

    private static void configureTls(SslContextFactory.Server ssl, CoreConfig core, Path base, ConfigurationProblems problems)
    {
        TlsHardening.apply(ssl);
        if (ssl.getKeyStore() != null)
            return;
        Resource keyStore = ssl.getKeyStoreResource();
        if (keyStore != null && keyStore.exists())
            return;
        if (!core.isTlsSelfSigned())
        {
            problems.add("no certificate: the keystore " + (keyStore == null ? "(none)" : keyStore) + " does not exist. Set jetty.sslContext.keyStorePath (and its password), or gatehouse.tls.self-signed=true for a self-signed localhost certificate");
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
