package dev.gatehouse.spi;

import java.nio.file.Path;

import org.eclipse.jetty.server.Server;

/**
 * Bound in every plugin's injector: where Gatehouse runs, and for which app this instance of the
 * plugin was made (each app gets its own instance of every plugin).
 */
public interface GatehouseEnvironment
{
    /**
     * @return {@code jetty.base}: the directory of the user's configuration and state
     */
    Path base();

    /**
     * @return the Jetty server being configured (not yet started while modules are built)
     */
    Server server();

    /**
     * @return the app this plugin instance serves: {@code default} for the app of start.d, else
     * the base name of its app file ({@code jellyfin} for {@code webapps/jellyfin.properties}).
     * A plugin that keeps state in files names them per app, so that apps never share one.
     */
    default String appName()
    {
        return "default";
    }
}
