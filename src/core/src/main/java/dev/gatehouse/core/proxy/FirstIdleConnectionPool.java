package dev.gatehouse.core.proxy;

import org.eclipse.jetty.client.AbstractConnectionPool;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.util.annotation.ManagedObject;

/**
 * The upstream connection pool of an HTTP/1.1 route: Jetty's connection pool over a
 * {@link FirstIdlePool}, which hands out the same connection Jetty's own pool would (the idle one
 * in the lowest slot) without walking the busy ones.
 */
@ManagedObject
public final class FirstIdleConnectionPool extends AbstractConnectionPool
{
    public FirstIdleConnectionPool(Destination destination, int maxConnections)
    {
        super(destination, () -> new FirstIdlePool<>(maxConnections), 1);
    }
}
