package dev.gatehouse.spi;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.Request;

/**
 * Customises how the proxy talks to an upstream. Contributed through
 * {@link Contributions#upstreamCustomizers}; every customizer of every plugin is applied, in the
 * order of the plugins' slots.
 *
 * <p>The two client hooks run once per route, while its {@link HttpClient} is built and before it
 * starts (set a {@link org.eclipse.jetty.client.SocketAddressResolver}, trust material or a bind
 * address here). The request hook runs for every proxied request, on the request path: it must
 * not block. Nor may response listeners it adds to the upstream request: they run where the
 * response is read, for HTTP/1.1 clients on the upstream connection's I/O thread (see
 * {@link Contributions#handler}).</p>
 */
public interface UpstreamCustomizer
{
    /**
     * Called first, with the connector the route's client will use: its
     * {@link ClientConnector#getSslContextFactory()} is the upstream TLS configuration
     * (hostname verification on), and {@link ClientConnector#setBindAddress} picks the source address.
     */
    default void customizeConnector(Upstream upstream, ClientConnector connector)
    {
    }

    /**
     * Called after the host configured the client (timeouts, pool size, no User-Agent of its own).
     */
    default void customizeClient(Upstream upstream, HttpClient client)
    {
    }

    /**
     * Called for every request after the host copied the client's end-to-end headers and set
     * {@code Host}, {@code Via} and the forwarded headers, just before it is sent.
     *
     * @param clientToProxyRequest the request as the client sent it
     * @param proxyToServerRequest the request about to go upstream; change its headers here
     */
    default void customizeRequest(Upstream upstream, Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
    }
}
