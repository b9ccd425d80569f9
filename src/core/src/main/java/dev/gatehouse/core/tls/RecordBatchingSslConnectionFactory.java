package dev.gatehouse.core.tls;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslClientConnectionFactory;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty's TLS connection factory, making {@link RecordBatchingSslConnection}s; and the same for
 * the upstream client ({@link BatchingClientConnector}).
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
        ConnectionFactoryReplacement.replace(connectors, SslConnectionFactory.class, RecordBatchingSslConnectionFactory::copyOf);
    }

    private static RecordBatchingSslConnectionFactory copyOf(SslConnectionFactory jettys)
    {
        RecordBatchingSslConnectionFactory batching = new RecordBatchingSslConnectionFactory(jettys.getSslContextFactory(), jettys.getNextProtocol());
        batching.setEnsureSecureRequestCustomizer(jettys.isEnsureSecureRequestCustomizer());
        jettys.getBeans().forEach(batching::addBean);
        return batching;
    }

    /**
     * Jetty's, with the engine from {@link #newServerEngine}.
     */
    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint)
    {
        SSLEngine engine = newServerEngine(getSslContextFactory(), endPoint.getRemoteSocketAddress());
        engine.setUseClientMode(false);

        SslConnection sslConnection = newSslConnection(connector, endPoint, engine);
        sslConnection.setRenegotiationAllowed(getSslContextFactory().isRenegotiationAllowed());
        sslConnection.setRenegotiationLimit(getSslContextFactory().getRenegotiationLimit());
        configure(sslConnection, connector, endPoint);

        EndPoint sslEndPoint = sslConnection.getSslEndPoint();
        sslEndPoint.setConnection(connector.getConnectionFactory(getNextProtocol()).newConnection(connector, sslEndPoint));
        return sslConnection;
    }

    /**
     * A server engine configured by the factory, as Jetty's {@code newSSLEngine} makes it, but
     * for Conscrypt on Java before 20 without reading the engine's parameters back first.
     * Conscrypt looks up {@code SSLParameters.get/setNamedGroups} (Java 20) by reflection in every
     * {@code getSSLParameters} and {@code setSSLParameters}, and on older JDKs each look-up throws
     * a NoSuchMethodException: two per new connection, 2.5% of its CPU. Reading back adds nothing
     * here: a started factory sets the protocols and cipher suites it selected, and a new server
     * engine has no other parameters yet. The parameters given carry named groups, so Conscrypt's
     * look-up finds them. A subclass of Jetty's factory may customise engines its own way and
     * gets Jetty's path.
     */
    private static SSLEngine newServerEngine(SslContextFactory.Server factory, SocketAddress remote)
    {
        // One read of the context: a certificate reload may replace it at any time.
        SSLContext context = factory.isStarted() ? factory.getSslContext() : null;
        if (!NamedGroupsParameters.NEEDED || factory.getClass() != SslContextFactory.Server.class || context == null || !TlsProviders.isConscrypt(context))
            return remote instanceof InetSocketAddress address ? factory.newSSLEngine(address) : factory.newSSLEngine();
        SSLEngine engine = remote instanceof InetSocketAddress address && factory.isSessionCachingEnabled()
            ? context.createSSLEngine(address.getHostString(), address.getPort())
            : context.createSSLEngine();
        engine.setSSLParameters(factory.customize(new NamedGroupsParameters()));
        return engine;
    }

    @Override
    protected SslConnection newSslConnection(Connector connector, EndPoint endPoint, SSLEngine engine)
    {
        TlsProviders.enableSessionTickets(engine);
        return new RecordBatchingSslConnection(connector.getByteBufferPool(), connector.getExecutor(), getSslContextFactory(), endPoint, engine);
    }

    /**
     * A client connector whose TLS connections are {@link RecordBatchingSslConnection}s; a class
     * (not final) so that tests can watch its sockets.
     */
    public static class BatchingClientConnector extends ClientConnector
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
    }
}
