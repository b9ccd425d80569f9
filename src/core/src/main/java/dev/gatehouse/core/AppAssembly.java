package dev.gatehouse.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.google.inject.Binding;
import com.google.inject.CreationException;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Module;
import com.google.inject.ProvisionException;
import com.google.inject.TypeLiteral;
import com.google.inject.spi.Message;
import dev.gatehouse.core.apps.AppContext;
import dev.gatehouse.core.apps.AppFile;
import dev.gatehouse.core.apps.InvalidAppFileException;
import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.proxy.GatehouseProxy;
import dev.gatehouse.core.proxy.Route;
import dev.gatehouse.core.websocket.WebSocketBridge;
import dev.gatehouse.spi.ChainHandler;
import dev.gatehouse.spi.GatehouseEnvironment;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.UpstreamCustomizer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * Builds apps: the default app from the start.d properties, the others from app files whose
 * {@code gatehouse.*} keys overlay those properties. Every app gets its own bound configuration,
 * its own instance of every plugin (a Guice child injector per plugin per app, so a plugin's
 * handler, upstream customizers and beans belong to one app), its own upstream client, WebSocket
 * bridge and handler chain.
 *
 * <p>Listeners, certificates and the app scanner serve the whole server: their keys cannot be set
 * in an app file, and neither can the keys of a plugin that customises the listeners (the
 * forwarded plugin decides who the client is before any app is chosen).</p>
 */
final class AppAssembly
{
    private final Map<String, String> properties;
    private final Path base;
    private final List<GatehousePlugin<?>> plugins;
    private final Set<String> pluginIds;
    private final Injector parent;

    /**
     * @param plugins the accepted plugins, in chain order
     */
    AppAssembly(Map<String, String> properties, Path base, List<GatehousePlugin<?>> plugins, Injector parent)
    {
        this.properties = Map.copyOf(properties);
        this.base = base;
        this.plugins = List.copyOf(plugins);
        this.pluginIds = Set.copyOf(plugins.stream().map(GatehousePlugin::id).toList());
        this.parent = parent;
    }

    /**
     * Binds and validates the host's and every plugin's configuration from the given properties.
     */
    Bound bind(Map<String, String> properties, ConfigurationProblems problems)
    {
        ConfigBinder binder = new ConfigBinder(properties, base, problems);
        CoreConfig core = binder.bind(ConfigBinder.NAMESPACE, CoreConfig.class);
        List<BoundPlugin> bound = new ArrayList<>();
        for (GatehousePlugin<?> plugin : plugins)
            bound.add(bind(plugin, binder, problems));
        return new Bound(core, bound, binder);
    }

    private static <C> BoundPlugin bind(GatehousePlugin<C> plugin, ConfigBinder binder, ConfigurationProblems problems)
    {
        String prefix = ConfigBinder.NAMESPACE + plugin.id() + ".";
        C config = binder.bind(prefix, plugin.configClass());
        if (config != null)
            plugin.validate(config, (key, message) -> problems.add(prefix + key, message));
        return new BoundPlugin(plugin, config);
    }

    /**
     * Creates one child injector per plugin and resolves its contributions once.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    List<PluginInstance> instantiate(String appName, List<BoundPlugin> bound, ConfigurationProblems problems)
    {
        GatehouseEnvironment environment = new Environment(base, parent.getInstance(Server.class), appName);
        List<PluginInstance> instances = new ArrayList<>();
        for (BoundPlugin plugin : bound)
        {
            String id = plugin.plugin().id();
            try
            {
                Module module = ((GatehousePlugin)plugin.plugin()).module(plugin.config());
                Class configClass = plugin.plugin().configClass();
                Injector injector = parent.createChildInjector(binder ->
                {
                    binder.bind(configClass).toInstance(plugin.config());
                    binder.bind(GatehouseEnvironment.class).toInstance(environment);
                }, module);
                instances.add(PluginInstance.of(plugin.plugin(), injector));
            }
            catch (CreationException e)
            {
                for (Message message : e.getErrorMessages())
                    problems.add("plugin '" + id + "': " + message.getMessage());
            }
            catch (ProvisionException e)
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

    /**
     * Links an app: its plugins' handlers in slot order, then the WebSocket bridge (upgrades only;
     * the proxy cannot upgrade), then the proxy. Returns {@code null} with problems added when the
     * upstream TLS settings cannot be read.
     */
    AppContext newApp(String name, String source, CoreConfig core, List<PluginInstance> instances, ConfigurationProblems problems)
    {
        SslContextFactory.Client upstreamTls = UpstreamTls.create(name, core, problems);
        if (!problems.isEmpty())
            return null;
        Route route = new Route(name, core.getHosts(), core.getUpstream());
        List<UpstreamCustomizer> upstreamCustomizers = new ArrayList<>();
        List<Handler.Wrapper> chain = new ArrayList<>();
        List<String> description = new ArrayList<>();
        for (PluginInstance instance : instances)
        {
            upstreamCustomizers.addAll(instance.upstreamCustomizers());
            if (instance.handler() != null)
            {
                if (instance.handler().getHandler() != null)
                {
                    problems.add("plugin '" + instance.plugin().id() + "' gave a handler that another app already uses; its module(config) must create a new handler each time it is called");
                    continue;
                }
                chain.add(instance.handler());
                description.add(instance.plugin().slot().name().toLowerCase(Locale.ROOT) + ": plugin '" + instance.plugin().id() + "' (" + instance.handler().getClass().getName() + ")");
            }
        }
        if (!problems.isEmpty())
            return null;
        // Asked before the handlers are linked: an unlinked wrapper answers for itself alone.
        InvocationType inFront = chain.stream().map(Handler::getInvocationType).reduce(InvocationType.NON_BLOCKING, Invocable::combine);
        GatehouseProxy proxy = new GatehouseProxy(route, core, upstreamTls, upstreamCustomizers, inFront == InvocationType.NON_BLOCKING);
        Handler bridge = new WebSocketBridge(proxy, core);
        for (int i = 0; i < chain.size(); i++)
            chain.get(i).setHandler(i + 1 < chain.size() ? chain.get(i + 1) : bridge);
        description.add("WebSocket bridge (upgrades only)");
        boolean https = "https".equalsIgnoreCase(route.uri().getScheme());
        description.add("reverse proxy to " + route.uri() + " (" + core.getUpstreamProtocol().name().toLowerCase(Locale.ROOT) +
            (https ? ", TLS by " + (upstreamTls.getProvider() == null ? "the JDK" : upstreamTls.getProvider()) : "") + ")");
        return new AppContext(name, source, core.getHosts(), route, chain.isEmpty() ? bridge : chain.get(0), description);
    }

    /**
     * Builds the app of an app file.
     *
     * @param listenerPlugins the ids of the plugins that contribute connector customizers, whose
     * keys an app file cannot set
     * @throws InvalidAppFileException naming the file and listing every problem
     */
    AppContext fromFile(Path file, Set<String> listenerPlugins)
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        AppFile appFile = AppFile.read(file, problems);
        Map<String, String> merged = new HashMap<>(properties);
        merged.putAll(appFile.properties());
        Bound bound = bind(merged, problems);
        bound.binder().reportUnknownKeys(pluginIds, Set.of(), appFile.properties().keySet());
        for (String key : appFile.properties().keySet())
        {
            String section = section(key);
            if (CoreConfig.SERVER_WIDE_SECTIONS.contains(section))
                problems.add(key, "applies to the whole server (listeners, certificates, app scanning); set it in start.d, not in an app file");
            else if (listenerPlugins.contains(section))
                problems.add(key, "plugin '" + section + "' works on the listeners, before any app is chosen; set its keys in start.d, not in an app file");
        }
        // Neither is inherited from start.d: an app file says itself which names it answers and where it goes.
        if (!appFile.properties().containsKey(ConfigBinder.NAMESPACE + "hosts"))
            problems.add(ConfigBinder.NAMESPACE + "hosts", "required in an app file: the host names this app answers for, e.g. jellyfin.example.com");
        else if (bound.core() != null && bound.core().getHosts().isEmpty() && problems.list().stream().noneMatch(problem -> problem.startsWith(ConfigBinder.NAMESPACE + "hosts:")))
            problems.add(ConfigBinder.NAMESPACE + "hosts", "name at least one host; only the app of start.d may answer any host");
        if (!appFile.properties().containsKey(ConfigBinder.NAMESPACE + "upstream"))
            problems.add(ConfigBinder.NAMESPACE + "upstream", "required in an app file: where this app listens, e.g. http://127.0.0.1:8096");
        if (!problems.isEmpty())
            throw new InvalidAppFileException(file, problems.list());
        List<PluginInstance> instances = instantiate(appFile.name(), bound.plugins(), problems);
        AppContext app = problems.isEmpty() ? newApp(appFile.name(), file.toString(), bound.core(), instances, problems) : null;
        if (app == null)
            throw new InvalidAppFileException(file, problems.list());
        // The app's plugin beans live and die with this version of the app.
        for (PluginInstance instance : instances)
            instance.managedBeans().forEach(bean -> app.addBean(bean, true));
        return app;
    }

    private static String section(String key)
    {
        String rest = key.startsWith(ConfigBinder.NAMESPACE) ? key.substring(ConfigBinder.NAMESPACE.length()) : key;
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    private record Environment(Path base, Server server, String appName) implements GatehouseEnvironment
    {
    }

    record Bound(CoreConfig core, List<BoundPlugin> plugins, ConfigBinder binder)
    {
    }

    record BoundPlugin(GatehousePlugin<?> plugin, Object config)
    {
    }

    /**
     * A plugin's contributions, resolved once: the chain, the listeners and the proxy must all
     * see the same instances.
     */
    record PluginInstance(GatehousePlugin<?> plugin, Handler.Wrapper handler, Set<UpstreamCustomizer> upstreamCustomizers,
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
}
