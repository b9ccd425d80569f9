package dev.gatehouse.core.tls;

import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;

import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslClientConnectionFactory;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty's TLS connection factory, making {@link RecordBatchingSslConnection}s; and the same for
 * the upstream client ({@link #newClientConnector()}).
 */
public class RecordBatchingSslConnectionFactory extends SslConnectionFactory
{
    public RecordBatchingSslConnectionFactory(SslContextFactory.Server sslContextFactory, String nextProtocol)
    {
        super(sslContextFactory, nextProtocol);
    }

    /**
     * Replaces Jetty's TLS connection factory in every connector that has one (the {@code ssl}
     * module's) with this one, keeping its settings and the factories' order. Call before the
     * connectors start.
     */
    public static void replaceIn(Connector... connectors)
    {
        for (Connector connector : connectors)
        {
            if (!(connector instanceof AbstractConnector configurable))
                continue;
            List<ConnectionFactory> factories = new ArrayList<>(configurable.getConnectionFactories());
            boolean replaced = false;
            for (int i = 0; i < factories.size(); i++)
            {
                if (factories.get(i).getClass() == SslConnectionFactory.class)
                {
                    factories.set(i, copyOf((SslConnectionFactory)factories.get(i)));
                    replaced = true;
                }
            }
            if (replaced)
                configurable.setConnectionFactories(factories);
        }
    }

    private static RecordBatchingSslConnectionFactory copyOf(SslConnectionFactory jettys)
    {
        RecordBatchingSslConnectionFactory batching = new RecordBatchingSslConnectionFactory(jettys.getSslContextFactory(), jettys.getNextProtocol());
        batching.setEnsureSecureRequestCustomizer(jettys.isEnsureSecureRequestCustomizer());
        jettys.getBeans().forEach(batching::addBean);
        return batching;
    }

    @Override
    protected SslConnection newSslConnection(Connector connector, EndPoint endPoint, SSLEngine engine)
    {
        TlsProviders.enableSessionTickets(engine);
        return new RecordBatchingSslConnection(connector.getByteBufferPool(), connector.getExecutor(), getSslContextFactory(), endPoint, engine);
    }

    /** A client connector whose TLS connections are {@link RecordBatchingSslConnection}s. */
    public static ClientConnector newClientConnector()
    {
        return new ClientConnector()
        {
            @Override
            public ClientConnectionFactory newSslClientConnectionFactory(SslContextFactory.Client sslContextFactory, ClientConnectionFactory connectionFactory)
            {
                SslContextFactory.Client ssl = sslContextFactory == null ? getSslContextFactory() : sslContextFactory;
                return new SslClientConnectionFactory(ssl, getByteBufferPool(), getExecutor(), connectionFactory)
                {
                    @Override
                    protected SslConnection newSslConnection(EndPoint endPoint, SSLEngine engine)
                    {
                        return new RecordBatchingSslConnection(getByteBufferPool(), getExecutor(), getSslContextFactory(), endPoint, engine);
                    }
                };
            }
        };
    }
}
