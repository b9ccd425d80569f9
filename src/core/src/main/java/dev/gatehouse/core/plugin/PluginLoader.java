package dev.gatehouse.core.plugin;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.spi.GatehousePlugin;

/**
 * Finds the plugins of the enabled {@code gatehouse-<id>} modules. Each such module declares
 * its directory with an {@code [ini]} line {@code gatehouse-plugin.<id>=<dir>}; every jar in the
 * directory goes into one {@link PluginClassLoader}, and {@link ServiceLoader} finds the plugin
 * there. Built-in and third-party plugins take the same path.
 */
public final class PluginLoader
{
    /**
     * The property namespace of plugin directories. Deliberately outside {@code gatehouse.}, whose
     * keys are all configuration and are checked for typos.
     */
    public static final String DIRECTORY_PROPERTY_PREFIX = "gatehouse-plugin.";

    private PluginLoader()
    {
    }

    /**
     * @param properties all properties, of which the {@code gatehouse-plugin.*} ones are read
     * @param base what relative directories are resolved against
     * @param serverLoader the loader of the server class path
     * @param problems where a missing directory or a bad jar is reported
     * @return the plugins found, each with the module name it came from
     */
    public static List<LoadedPlugin> load(Map<String, String> properties, Path base, ClassLoader serverLoader, ConfigurationProblems problems)
    {
        List<LoadedPlugin> plugins = new ArrayList<>();
        Map<String, String> directories = new TreeMap<>();
        properties.forEach((key, value) ->
        {
            if (key.startsWith(DIRECTORY_PROPERTY_PREFIX))
                directories.put(key.substring(DIRECTORY_PROPERTY_PREFIX.length()), value);
        });
        directories.forEach((name, directory) -> plugins.addAll(loadDirectory(name, base.resolve(directory).normalize(), serverLoader, problems)));
        return plugins;
    }

    static List<LoadedPlugin> loadDirectory(String name, Path directory, ClassLoader serverLoader, ConfigurationProblems problems)
    {
        String origin = DIRECTORY_PROPERTY_PREFIX + name;
        if (!Files.isDirectory(directory))
        {
            problems.add(origin, "plugin directory " + directory + " does not exist (is the module's jar installed in the base?)");
            return List.of();
        }
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory))
        {
            for (Path jar : files.filter(file -> file.getFileName().toString().endsWith(".jar")).sorted().toList())
                jars.add(jar.toUri().toURL());
        }
        catch (IOException e)
        {
            problems.add(origin, "cannot read plugin directory " + directory + ": " + e.getMessage());
            return List.of();
        }
        if (jars.isEmpty())
        {
            problems.add(origin, "plugin directory " + directory + " holds no jar");
            return List.of();
        }
        PluginClassLoader loader = new PluginClassLoader(name, jars, serverLoader);
        List<LoadedPlugin> plugins = fromLoader(loader, origin, problems);
        if (plugins.isEmpty())
            problems.add(origin, "no " + GatehousePlugin.class.getName() + " service in " + directory + " (is META-INF/services/" + GatehousePlugin.class.getName() + " in the jar?)");
        return plugins;
    }

    /**
     * @return the plugins whose classes the given loader itself defines (not its parents')
     */
    public static List<LoadedPlugin> fromLoader(ClassLoader loader, String origin, ConfigurationProblems problems)
    {
        List<LoadedPlugin> plugins = new ArrayList<>();
        try
        {
            @SuppressWarnings("rawtypes")
            ServiceLoader<GatehousePlugin> services = ServiceLoader.load(GatehousePlugin.class, loader);
            for (GatehousePlugin<?> plugin : services)
                plugins.add(new LoadedPlugin(plugin, origin));
        }
        catch (ServiceConfigurationError e)
        {
            problems.add(origin, "a plugin could not be loaded: " + e.getMessage());
        }
        return plugins;
    }

    /**
     * @param plugin the plugin
     * @param origin where it came from, for messages
     */
    public record LoadedPlugin(GatehousePlugin<?> plugin, String origin)
    {
    }
}
