package dev.gatehouse.core;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.google.inject.Binding;
import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Module;
import com.google.inject.TypeLiteral;
import com.google.inject.spi.Message;
import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.plugin.PluginLoader;
import dev.gatehouse.core.plugin.PluginLoader.LoadedPlugin;
import dev.gatehouse.core.proxy.GatehouseProxy;
import dev.gatehouse.core.proxy.Route;
import dev.gatehouse.core.websocket.WebSocketBridge;
import dev.gatehouse.spi.ChainHandler;
import dev.gatehouse.spi.GatehouseEnvironment;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.IpLiterals;
import dev.gatehouse.spi.UpstreamCustomizer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles Gatehouse into a Jetty {@link Server} before it starts: binds and validates the
 * configuration of the host and of every plugin (failing once with the whole list), builds one
 * Guice child injector per plugin, links the plugins' handlers in {@link dev.gatehouse.spi.Slot}
 * order in front of the routes, configures listeners and TLS, and creates the proxy of the
 * default route. Jetty owns the lifecycle of everything created here.
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
    private final CoreConfig core;
    private final List<PluginInstance> plugins;
    private final List<String> effectiveConfiguration;
    private final GatehouseProxy defaultProxy;
    private final List<Handler.Wrapper> chain;

    private Gatehouse(Server server, Path base, CoreConfig core, List<PluginInstance> plugins, List<String> effectiveConfiguration, GatehouseProxy defaultProxy, List<Handler.Wrapper> chain)
    {
        this.server = server;
        this.base = base;
        this.core = core;
        this.plugins = plugins;
        this.effectiveConfiguration = effectiveConfiguration;
        this.defaultProxy = defaultProxy;
        this.chain = chain;
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
        ConfigBinder binder = new ConfigBinder(properties, base, problems);
        CoreConfig core = binder.bind(ConfigBinder.NAMESPACE, CoreConfig.class);
        validateCore(core, properties, problems);

        List<BoundPlugin> bound = new ArrayList<>();
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
            bound.add(bind(plugin, binder, problems));
        }
        binder.reportUnknownKeys(pluginIds, Set.of());
        problems.throwIfAny();

        bound.sort(Comparator.comparing((BoundPlugin plugin) -> plugin.plugin().slot()).thenComparing(plugin -> plugin.plugin().id()));
        GatehouseEnvironment environment = new Environment(base, server);
        List<PluginInstance> instances = createInjectors(environment, bound, problems);
        problems.throwIfAny();

        List<UpstreamCustomizer> upstreamCustomizers = new ArrayList<>();
        List<HttpConfiguration.Customizer> connectorCustomizers = new ArrayList<>();
        for (PluginInstance instance : instances)
        {
            upstreamCustomizers.addAll(instance.upstreamCustomizers());
            connectorCustomizers.addAll(instance.connectorCustomizers());
            instance.managedBeans().forEach(bean -> server.addBean(bean));
        }

        Listeners.configure(server, core, ids, base, connectorCustomizers, problems);
        problems.throwIfAny();

        Route defaultRoute = new Route("default", List.of(), core.getUpstream());
        SslContextFactory.Client upstreamTls = UpstreamTls.create(core, problems);
        problems.throwIfAny();
        GatehouseProxy defaultProxy = new GatehouseProxy(defaultRoute, core, upstreamTls, upstreamCustomizers);

        ContextHandlerCollection contexts = contexts(server, ids);
        // WebSocket upgrades are bridged in front of the proxy, which cannot upgrade.
        ContextHandler defaultContext = new ContextHandler(new WebSocketBridge(defaultProxy, core), "/");
        defaultContext.setDisplayName("gatehouse-default-route");
        contexts.addHandler(defaultContext);
        // DefaultHandler would list the deployed contexts to anyone; an unknown host gets a bare 404.
        server.setDefaultHandler(null);
        server.setErrorHandler(new GatehouseErrorHandler());

        List<Handler.Wrapper> chain = new ArrayList<>();
        if (core.getRedirectPort() > 0)
            chain.add(new RedirectToHttpsHandler(Listeners.httpsPort(server, properties)));
        for (PluginInstance instance : instances)
        {
            if (instance.handler() != null)
                chain.add(instance.handler());
        }
        insertChain(server, chain);

        Gatehouse gatehouse = new Gatehouse(server, base, core, instances, binder.effectiveConfiguration(), defaultProxy, chain);
        gatehouse.logAssembly();
        server.addEventListener(new StartedBanner(server, core, base));
        return gatehouse;
    }

    private static <C> BoundPlugin bind(GatehousePlugin<C> plugin, ConfigBinder binder, ConfigurationProblems problems)
    {
        String prefix = ConfigBinder.NAMESPACE + plugin.id() + ".";
        C config = binder.bind(prefix, plugin.configClass());
        if (config != null)
            plugin.validate(config, (key, message) -> problems.add(prefix + key, message));
        return new BoundPlugin(plugin, config);
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

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<PluginInstance> createInjectors(GatehouseEnvironment environment, List<BoundPlugin> bound, ConfigurationProblems problems)
    {
        Injector parent = Guice.createInjector(binder ->
        {
            binder.bind(GatehouseEnvironment.class).toInstance(environment);
            binder.bind(Server.class).toInstance(environment.server());
        });
        List<PluginInstance> instances = new ArrayList<>();
        for (BoundPlugin plugin : bound)
        {
            String id = plugin.plugin().id();
            try
            {
                Module module = ((GatehousePlugin)plugin.plugin()).module(plugin.config());
                Class configClass = plugin.plugin().configClass();
                Injector injector = parent.createChildInjector(binder -> binder.bind(configClass).toInstance(plugin.config()), module);
                instances.add(PluginInstance.of(plugin.plugin(), injector));
            }
            catch (CreationException e)
            {
                for (Message message : e.getErrorMessages())
                    problems.add("plugin '" + id + "': " + message.getMessage());
            }
            catch (com.google.inject.ProvisionException e)
            {
                for (Message message : e.getErrorMessages())
                    problems.add("plugin '" + id + "': " + message.getMessage());
            }
            catch (RuntimeException e)
            {
                problems.add("plugin '" + id + "' failed to build its module: " + e);
            }
        }
        return instances;
    }

    private static ContextHandlerCollection contexts(Server server, Map<String, Object> ids)
    {
        if (ids.get("Contexts") instanceof ContextHandlerCollection contexts)
            return contexts;
        ContextHandlerCollection contexts = new ContextHandlerCollection();
        server.setHandler(contexts);
        return contexts;
    }

    private static void insertChain(Server server, List<Handler.Wrapper> chain)
    {
        if (chain.isEmpty())
            return;
        for (int i = 0; i < chain.size() - 1; i++)
            chain.get(i).setHandler(chain.get(i + 1));
        server.insertHandler(chain.get(0));
    }

    private void logAssembly()
    {
        LOG.info("Gatehouse effective configuration ({}):", base);
        effectiveConfiguration.forEach(line -> LOG.info("  {}", line));
        List<String> chainLines = new ArrayList<>();
        int position = 1;
        for (Handler.Wrapper handler : chain)
            chainLines.add(position++ + ". " + describe(handler));
        chainLines.add(position++ + ". route by host: " + defaultProxy.route().routeName() + " (any host) -> " + defaultProxy.route().uri());
        chainLines.add(position++ + ". WebSocket bridge (upgrades only)");
        chainLines.add(position + ". reverse proxy (" + core.getUpstreamProtocol().name().toLowerCase(java.util.Locale.ROOT) + " upstream)");
        LOG.info("Gatehouse handler chain, outermost first:");
        chainLines.forEach(line -> LOG.info("  {}", line));
    }

    private String describe(Handler.Wrapper handler)
    {
        for (PluginInstance instance : plugins)
        {
            if (instance.handler() == handler)
                return instance.plugin().slot().name().toLowerCase(java.util.Locale.ROOT) + ": plugin '" + instance.plugin().id() + "' (" + handler.getClass().getName() + ")";
        }
        return "listener: " + handler.getClass().getSimpleName();
    }

    public Server server()
    {
        return server;
    }

    public GatehouseProxy defaultProxy()
    {
        return defaultProxy;
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
        return plugins.stream().map(instance -> instance.plugin().id()).toList();
    }

    private record BoundPlugin(GatehousePlugin<?> plugin, Object config)
    {
    }

    /**
     * A plugin's contributions, resolved once: the chain, the listeners and the proxies must all
     * see the same instances.
     */
    private record PluginInstance(GatehousePlugin<?> plugin, Handler.Wrapper handler, Set<UpstreamCustomizer> upstreamCustomizers,
                                  Set<HttpConfiguration.Customizer> connectorCustomizers, Set<Object> managedBeans)
    {
        static PluginInstance of(GatehousePlugin<?> plugin, Injector injector)
        {
            Binding<Handler.Wrapper> handler = injector.getExistingBinding(Key.get(Handler.Wrapper.class, ChainHandler.class));
            return new PluginInstance(plugin,
                handler == null ? null : handler.getProvider().get(),
                instances(injector, Key.get(new TypeLiteral<Set<UpstreamCustomizer>>() {})),
                instances(injector, Key.get(new TypeLiteral<Set<HttpConfiguration.Customizer>>() {}, ChainHandler.class)),
                instances(injector, Key.get(new TypeLiteral<Set<Object>>() {}, ChainHandler.class)));
        }

        private static <T> Set<T> instances(Injector injector, Key<Set<T>> key)
        {
            Binding<Set<T>> binding = injector.getExistingBinding(key);
            return binding == null ? Set.of() : Set.copyOf(binding.getProvider().get());
        }
    }

    private record Environment(Path base, Server server) implements GatehouseEnvironment
    {
    }
}
