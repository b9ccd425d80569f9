package dev.gatehouse.spi;

import java.nio.file.Path;

import org.eclipse.jetty.server.Server;

/**
 * Bound in every plugin's injector: where Gatehouse runs.
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
}
