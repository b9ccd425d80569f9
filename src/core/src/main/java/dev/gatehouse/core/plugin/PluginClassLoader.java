package dev.gatehouse.core.plugin;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The class loader of one plugin directory, Trino style: the plugin's own jars first-class, and
 * from the server only the SPI, Jetty, Guice, jakarta.inject, SLF4J and the JDK. A plugin cannot
 * reach Gatehouse's internals, and two plugins can bundle different versions of a library.
 */
public final class PluginClassLoader extends URLClassLoader
{
    /**
     * Packages a plugin shares with the server. Everything else resolves inside the plugin.
     */
    static final List<String> SHARED_PACKAGES = List.of(
        "dev.gatehouse.spi.",
        "org.eclipse.jetty.",
        "com.google.inject.",
        "jakarta.inject.",
        "org.aopalliance.",
        "org.slf4j."
    );

    private final String pluginName;

    public PluginClassLoader(String pluginName, List<URL> jars, ClassLoader serverLoader)
    {
        super("gatehouse-plugin-" + pluginName, jars.toArray(URL[]::new), new SharedOnly(serverLoader));
        this.pluginName = pluginName;
    }

    @Override
    public String toString()
    {
        return "PluginClassLoader[" + pluginName + "]";
    }

    /**
     * Delegates to the server's loader for the shared packages and the platform only. Resources
     * of the shared packages are visible; {@code META-INF/services} of the server are not, so a
     * {@link java.util.ServiceLoader} over a plugin loader finds that plugin's services alone.
     */
    private static final class SharedOnly extends ClassLoader
    {
        private final ClassLoader serverLoader;

        SharedOnly(ClassLoader serverLoader)
        {
            super(ClassLoader.getPlatformClassLoader());
            this.serverLoader = serverLoader;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException
        {
            if (isShared(name))
                return serverLoader.loadClass(name);
            return super.loadClass(name, resolve);
        }

        @Override
        public URL getResource(String name)
        {
            if (isSharedResource(name))
                return serverLoader.getResource(name);
            return super.getResource(name);
        }

        @Override
        public Enumeration<URL> getResources(String name) throws IOException
        {
            if (isSharedResource(name))
                return serverLoader.getResources(name);
            return super.getResources(name);
        }

        private static boolean isShared(String className)
        {
            for (String prefix : SHARED_PACKAGES)
            {
                if (className.startsWith(prefix))
                    return true;
            }
            return false;
        }

        private static boolean isSharedResource(String resource)
        {
            if (resource.startsWith("META-INF/"))
                return false;
            return isShared(resource.replace('/', '.'));
        }

        @Override
        protected URL findResource(String name)
        {
            return null;
        }

        @Override
        protected Enumeration<URL> findResources(String name)
        {
            return Collections.emptyEnumeration();
        }
    }
}
