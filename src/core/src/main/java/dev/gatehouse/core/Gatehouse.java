package dev.gatehouse.core;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.google.inject.Guice;
import com.google.inject.Injector;
import dev.gatehouse.core.apps.AppContext;
import dev.gatehouse.core.apps.AppDeployer;
import dev.gatehouse.core.apps.AppFile;
import dev.gatehouse.core.apps.AppRouter;
import dev.gatehouse.core.apps.AppScanner;
import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.plugin.PluginLoader;
import dev.gatehouse.core.plugin.PluginLoader.LoadedPlugin;
import dev.gatehouse.core.proxy.GatehouseProxy;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.IpLiterals;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles Gatehouse into a Jetty {@link Server} before it starts: binds and validates the
 * configuration of the host and of every plugin (failing once with the whole list), builds one
 * Guice child injector per plugin, configures listeners and TLS, builds the default app (its
 * plugins' handlers in {@link dev.gatehouse.spi.Slot} order, then the WebSocket bridge and the
 * proxy), and installs the router by host name with Jetty's deployment scanner over the apps
 * directory for the other apps. Jetty owns the lifecycle of everything created here.
 */
public final class Gatehouse
{
    private static final Logger LOG = LoggerFactory.getLogger(Gatehouse.class);
    private static final Pattern PLUGIN_ID = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");
    /**
     * First segments of the host's own keys; a plugin with such an id would share their names.
     */
    private static final Set<String> RESERVED_IDS = Set.of("upstream", "client", "via", "redirect", "tunnel", "tls", "plugin", "route", "routes", "app", "apps", "websocket");

    private final Server server;
    private final Path base;
    private final List<String> effectiveConfiguration;
    private final List<String> pluginIds;
    private final AppContext defaultApp;
    private final AppDeployer deployer;
    private final AppRouter router;

    private Gatehouse(Server server, Path base, List<String> effectiveConfiguration, List<String> pluginIds, AppContext defaultApp, AppDeployer deployer, AppRouter router)
    {
        this.server = server;
        this.base = base;
        this.effectiveConfiguration = effectiveConfiguration;
        this.pluginIds = pluginIds;
        this.defaultApp = defaultApp;
        this.deployer = deployer;
        this.router = router;
    }

    /**
     * Installs Gatehouse with the plugins of the enabled {@code gatehouse-<id>} modules.
     *
     * @param server the server that Jetty XML built, not started
     * @param properties every property start.jar passed
     * @param ids the objects Jetty XML created so far, by id ({@code sslContextFactory}, {@code Contexts}, ...)
     * @throws dev.gatehouse.core.config.InvalidConfigurationException listing every problem
     */
    public static Gatehouse install(Server server, Map<String, String> properties, Map<String, Object> ids)
    {
        Path base = Path.of(properties.getOrDefault("jetty.base", ".")).toAbsolutePath().normalize();
        ConfigurationProblems problems = new ConfigurationProblems();
        List<LoadedPlugin> loaded = PluginLoader.load(properties, base, Gatehouse.class.getClassLoader(), problems);
        return install(server, properties, ids, base, loaded, problems);
    }

    /**
     * Installs Gatehouse with the given plugins; for tests and embedding.
     */
    public static Gatehouse install(Server server, Map<String, String> properties, Map<String, Object> ids, Path base, List<LoadedPlugin> loaded, ConfigurationProblems problems)
    {
        List<GatehousePlugin<?>> accepted = accept(loaded, problems);
        accepted.sort(Comparator.comparing((GatehousePlugin<?> plugin) -> plugin.slot()).thenComparing(GatehousePlugin::id));
        Set<String> pluginIds = new LinkedHashSet<>(accepted.stream().map(GatehousePlugin::id).toList());

        Injector parent = Guice.createInjector(binder -> binder.bind(Server.class).toInstance(server));
        AppAssembly assembly = new AppAssembly(properties, base, accepted, parent);
        AppAssembly.Bound bound = assembly.bind(properties, problems);
        CoreConfig core = bound.core();
        if (core != null)
            validateCore(core, properties, problems);
        bound.binder().reportUnknownKeys(pluginIds, Set.of());
        problems.throwIfAny();

        List<AppAssembly.PluginInstance> instances = assembly.instantiate(AppFile.DEFAULT_APP, bound.plugins(), problems);
        problems.throwIfAny();

        List<HttpConfiguration.Customizer> connectorCustomizers = new ArrayList<>();
        Set<String> listenerPlugins = new LinkedHashSet<>();
        for (AppAssembly.PluginInstance instance : instances)
        {
            connectorCustomizers.addAll(instance.connectorCustomizers());
            if (!instance.connectorCustomizers().isEmpty())
                listenerPlugins.add(instance.plugin().id());
            instance.managedBeans().forEach(bean -> server.addBean(bean));
        }

        Listeners.configure(server, core, ids, base, connectorCustomizers, problems);
        problems.throwIfAny();
        ThreadPoolSizing.apply(server, properties);

        AppContext defaultApp = assembly.newApp(AppFile.DEFAULT_APP, "start.d", core, instances, problems);
        problems.throwIfAny();

        // Apps by host name in front of Jetty's Contexts, which keeps whatever other Jetty modules deploy.
        ensureContexts(server, ids);
        AppRouter router = new AppRouter();
        server.insertHandler(router);
        AppDeployer deployer = new AppDeployer(server, router, core.getAppsDrainTimeout());
        deployer.deployAtStart(defaultApp);
        server.addBean(deployer);
        Path appsDirectory = base.resolve(core.getAppsDirectory());
        if (Files.isDirectory(appsDirectory))
            server.addBean(new AppScanner(deployer, file -> assembly.fromFile(file, listenerPlugins), appsDirectory, (int)core.getAppsScanInterval().toSeconds()));
        else
            LOG.info("No apps directory {}: only the app of start.d is served", appsDirectory);
        // DefaultHandler would list the deployed contexts to anyone; the router answers unknown hosts.
        server.setDefaultHandler(null);
        server.setErrorHandler(new GatehouseErrorHandler());

        if (core.getRedirectPort() > 0)
            server.insertHandler(new RedirectToHttpsHandler(Listeners.httpsPort(server, properties)));

        Gatehouse gatehouse = new Gatehouse(server, base, bound.binder().effectiveConfiguration(), List.copyOf(pluginIds), defaultApp, deployer, router);
        gatehouse.logAssembly(core);
        server.addEventListener(new StartedBanner(server, core, base, deployer));
        return gatehouse;
    }

    private static List<GatehousePlugin<?>> accept(List<LoadedPlugin> loaded, ConfigurationProblems problems)
    {
        List<GatehousePlugin<?>> accepted = new ArrayList<>();
        Set<String> pluginIds = new LinkedHashSet<>();
        for (LoadedPlugin candidate : loaded)
        {
            GatehousePlugin<?> plugin = candidate.plugin();
            String id = plugin.id();
            if (id == null || !PLUGIN_ID.matcher(id).matches())
            {
                problems.add(candidate.origin(), "plugin " + plugin.getClass().getName() + " has the id '" + id + "'; an id is lower-case kebab case, e.g. path-blocklist");
                continue;
            }
            if (RESERVED_IDS.contains(id))
            {
                problems.add(candidate.origin(), "plugin " + plugin.getClass().getName() + " has the reserved id '" + id + "'");
                continue;
            }
            if (!pluginIds.add(id))
            {
                problems.add(candidate.origin(), "two plugins have the id '" + id + "'; is the same plugin installed twice?");
                continue;
            }
            if (plugin.slot() == null)
            {
                problems.add(candidate.origin(), "plugin '" + id + "' names no slot");
                continue;
            }
            accepted.add(plugin);
        }
        return accepted;
    }

    private static void validateCore(CoreConfig core, Map<String, String> properties, ConfigurationProblems problems)
    {
        if (core.getTunnelPort() > 0)
        {
            InetAddress address = IpLiterals.parseOrNull(core.getTunnelHost());
            if (!"localhost".equals(core.getTunnelHost()) && (address == null || !address.isLoopbackAddress()))
                problems.add(ConfigBinder.NAMESPACE + "tunnel.host", "'" + core.getTunnelHost() + "' is not a loopback address; the tunnel listener trusts its peer's X-Forwarded-Proto, so it binds 127.0.0.1 or ::1 only");
        }
        if (core.getRedirectPort() > 0 && core.getRedirectPort() == core.getTunnelPort())
            problems.add(ConfigBinder.NAMESPACE + "redirect.port", "the redirect and tunnel listeners cannot share port " + core.getRedirectPort());
        String httpsPort = properties.get("jetty.ssl.port");
        for (int port : new int[]{core.getRedirectPort(), core.getTunnelPort()})
        {
            if (port > 0 && String.valueOf(port).equals(httpsPort))
                problems.add(ConfigBinder.NAMESPACE + (port == core.getRedirectPort() ? "redirect.port" : "tunnel.port"), "port " + port + " is already the HTTPS port (jetty.ssl.port)");
        }
    }

    private static void ensureContexts(Server server, Map<String, Object> ids)
    {
        if (!(ids.get("Contexts") instanceof ContextHandlerCollection))
            server.setHandler(new ContextHandlerCollection());
    }

    private void logAssembly(CoreConfig core)
    {
        LOG.info("Gatehouse effective configuration ({}):", base);
        effectiveConfiguration.forEach(line -> LOG.info("  {}", line));
        List<String> chainLines = new ArrayList<>();
        int position = 1;
        if (core.getRedirectPort() > 0)
            chainLines.add(position++ + ". listener: " + RedirectToHttpsHandler.class.getSimpleName());
        chainLines.add(position++ + ". route by host: app 'default' (" + (core.getHosts().isEmpty() ? "any host no app file claims" : String.join(", ", core.getHosts())) + "), apps from " + base.resolve(core.getAppsDirectory()));
        for (String line : defaultApp.chainDescription())
            chainLines.add(position++ + ". " + line);
        LOG.info("Gatehouse handler chain, outermost first:");
        chainLines.forEach(line -> LOG.info("  {}", line));
    }

    public Server server()
    {
        return server;
    }

    /**
     * @return the proxy of the app configured in start.d
     */
    public GatehouseProxy defaultProxy()
    {
        return defaultApp.getDescendant(GatehouseProxy.class);
    }

    /**
     * @return the apps deployed now, the default app included
     */
    public AppDeployer deployer()
    {
        return deployer;
    }

    public AppRouter router()
    {
        return router;
    }

    public List<String> effectiveConfiguration()
    {
        return effectiveConfiguration;
    }

    /**
     * @return the plugin ids, in chain order
     */
    public List<String> pluginIds()
    {
        return pluginIds;
    }

}
