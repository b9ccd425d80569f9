package dev.gatehouse.core.proxy;

import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.util.annotation.ManagedObject;

/**
 * The upstream connection pool of an HTTP/1.1 route: Jetty's connection pool over an
 * {@link IdleStackPool}, which hands out the most recently released connection without walking
 * the busy ones.
 */
@ManagedObject
public final class IdleStackConnectionPool extends AbstractConnectionPool
{
    public IdleStackConnectionPool(Destination destination, int maxConnections)
    {
        super(destination, () -> new IdleStackPool<>(maxConnections), 1);
    }
}
