package dev.gatehouse.core.tls;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;

/**
 * Puts Gatehouse's variant of one of Jetty's connection factories in the place of Jetty's, in
 * connectors that Jetty XML made with Jetty's.
 */
public final class ConnectionFactoryReplacement
{
    private ConnectionFactoryReplacement()
    {
    }

    /**
     * Replaces every factory of exactly this class (not a subclass someone chose) with its copy,
     * keeping the factories' order. Call before the connectors start.
     */
    public static <F extends ConnectionFactory> void replace(Connector[] connectors, Class<F> jettys, Function<F, ? extends ConnectionFactory> copyOf)
    {
        for (Connector connector : connectors)
        {
            if (!(connector instanceof AbstractConnector configurable))
                continue;
            List<ConnectionFactory> factories = new ArrayList<>(configurable.getConnectionFactories());
            boolean replaced = false;
            for (int i = 0; i < factories.size(); i++)
            {
                if (factories.get(i).getClass() == jettys)
                {
                    factories.set(i, copyOf.apply(jettys.cast(factories.get(i))));
                    replaced = true;
                }
            }
            if (replaced)
                configurable.setConnectionFactories(factories);
        }
    }
}
