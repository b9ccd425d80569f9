package dev.gatehouse.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.gatehouse.core.apps.AppContext;
import dev.gatehouse.core.apps.AppDeployer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Once the server runs: where it listens, where it proxies, where its configuration lives.
 */
final class StartedBanner implements LifeCycle.Listener
{
    private static final Logger LOG = LoggerFactory.getLogger("dev.gatehouse");

    private final Server server;
    private final CoreConfig core;
    private final Path base;
    private final AppDeployer deployer;

    StartedBanner(Server server, CoreConfig core, Path base, AppDeployer deployer)
    {
        this.server = server;
        this.core = core;
        this.base = base;
        this.deployer = deployer;
    }

    @Override
    public void lifeCycleStarted(LifeCycle event)
    {
        List<String> lines = new ArrayList<>();
        for (Connector connector : server.getConnectors())
        {
            if (!(connector instanceof NetworkConnector network))
                continue;
            String host = network.getHost() == null || network.getHost().isEmpty() ? "localhost" : network.getHost();
            if (host.indexOf(':') >= 0)
                host = "[" + host + "]";
            boolean tls = connector.getConnectionFactory(SslConnectionFactory.class) != null;
            String role = tls ? "HTTPS (" + String.join(", ", connector.getProtocols().stream().filter(p -> !p.equals("ssl") && !p.equals("alpn")).toList()) + ")"
                : RedirectToHttpsHandler.CONNECTOR_NAME.equals(connector.getName()) ? "redirects to HTTPS"
                : Listeners.TUNNEL_CONNECTOR_NAME.equals(connector.getName()) ? "plain HTTP for a local tunnel (cloudflared)"
                : "plain HTTP";
            lines.add("listening  " + (tls ? "https" : "http") + "://" + host + ":" + network.getLocalPort() + "  " + role);
        }
        for (AppContext app : deployer.liveApps().values().stream().sorted(Comparator.comparing(AppContext::appName)).toList())
            lines.add("app        " + app.appName() + ": " + (app.hosts().isEmpty() ? "any other host" : String.join(", ", app.hosts())) + " -> " + app.route().uri());
        lines.add("apps from  " + base.resolve(core.getAppsDirectory()) + " (<name>.properties)");
        lines.add("config in  " + base.resolve("start.d") + " (or " + base.resolve("start.ini") + ")");
        LOG.info("Gatehouse started");
        lines.forEach(line -> LOG.info("  {}", line));
    }
}
