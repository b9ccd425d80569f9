package dev.gatehouse.core.proxy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.gatehouse.core.CoreConfig;
import dev.gatehouse.core.ThreadPoolSizing;
import dev.gatehouse.core.tls.RecordBatchingSslConnection;
import dev.gatehouse.core.tls.RecordBatchingSslConnectionFactory;
import dev.gatehouse.spi.UpstreamCustomizer;
import org.eclipse.jetty.client.Destination;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ProcessorUtils;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reverse proxy of one route, with Jetty's traps removed:
 * <ul>
 *   <li>exactly one {@code User-Agent} (the client's): the upstream client sends none of its own;</li>
 *   <li>one {@code Host} policy for HTTP/1.1 and HTTP/2 on both sides: the upstream always gets its
 *       own authority as {@code Host} (so TLS names, virtual hosts and HTTP/2's
 *       {@code :authority} agree) and the public host in {@code X-Forwarded-Host};</li>
 *   <li>{@code Via} names a pseudonym, never the machine's host name;</li>
 *   <li>forwarded headers rebuilt rather than passed on ({@link ForwardedHeaders});</li>
 *   <li>a response-start timeout (504) separate from the long idle timeout that paused players need.</li>
 * </ul>
 * The client is built through {@link #newHttpClient()} and {@link #configureHttpClient}, never
 * {@code setHttpClient}, which would skip the proxy's own protocol handlers.
 */
public class GatehouseProxy extends ProxyHandler.Reverse
{
    private static final Logger LOG = LoggerFactory.getLogger(GatehouseProxy.class);
    /** Selector threads of each route's upstream client: half the CPUs, at least two (measured on two). */
    private static final int UPSTREAM_SELECTORS = Math.max(2, ProcessorUtils.availableProcessors() / 2);

    private final Route route;
    private final CoreConfig config;
    private final List<UpstreamCustomizer> customizers;
    private final SslContextFactory.Client upstreamTls;
    /** The {@code Host} of every upstream request, made once: the route's authority does not change. */
    private final HttpField upstreamHost;
    /** The upstream destination the last request went to, reused while requests have its origin. */
    private volatile Destination lastDestination;
    /** This proxy's own {@code Via} field per client protocol, made once. */
    private final Map<String, HttpField> ownVia = new ConcurrentHashMap<>();
    /** Whether no handler in front of this proxy may block, so responses may be written on I/O threads. */
    private final boolean nonBlockingInFront;
    /** Threads added to the server's pool for this route's upstream selectors while it runs. */
    private int leasedThreads;

    /**
     * @param upstreamTls TLS settings for https upstreams: verification on, trust as configured
     * @param nonBlockingInFront whether every handler in front of this one declares
     * {@link InvocationType#NON_BLOCKING} (see {@link ResponsesOnIoThread})
     */
    public GatehouseProxy(Route route, CoreConfig config, SslContextFactory.Client upstreamTls, List<UpstreamCustomizer> customizers, boolean nonBlockingInFront)
    {
        super(request -> rewrite(route, request));
        this.route = route;
        this.config = config;
        this.customizers = List.copyOf(customizers);
        this.upstreamTls = upstreamTls;
        this.nonBlockingInFront = nonBlockingInFront;
        setUseServerThreadPool(true);
        setViaHost(config.getVia());
        this.upstreamHost = new HttpField(HttpHeader.HOST, upstreamAuthority());
    }

    /**
     * Never blocks the calling thread: the upstream request is sent, its address resolved and its
     * body read asynchronously, and plugins' request customizers must not block
     * ({@link UpstreamCustomizer}). Jetty's {@code ProxyHandler} keeps {@code Handler.Abstract}'s
     * default ({@code BLOCKING}), which made every request go through a hand-off.
     */
    @Override
    public InvocationType getInvocationType()
    {
        return InvocationType.NON_BLOCKING;
    }

    public Route route()
    {
        return route;
    }

    @Override
    protected void doStart() throws Exception
    {
        leasedThreads = ThreadPoolSizing.lease(getServer(), UPSTREAM_SELECTORS);
        try
        {
            super.doStart();
        }
        catch (Exception | Error failure)
        {
            ThreadPoolSizing.release(getServer(), leasedThreads);
            leasedThreads = 0;
            throw failure;
        }
    }

    @Override
    protected void doStop() throws Exception
    {
        try
        {
            super.doStop();
        }
        finally
        {
            ThreadPoolSizing.release(getServer(), leasedThreads);
            leasedThreads = 0;
        }
    }

    /**
     * @return the upstream URI of a client request: the route's scheme, host, port and base path,
     * then the request's path and query
     */
    public static HttpURI rewrite(Route route, Request request)
    {
        URI upstream = route.uri();
        HttpURI incoming = request.getHttpURI();
        String basePath = upstream.getRawPath() == null ? "" : upstream.getRawPath();
        if (basePath.endsWith("/"))
            basePath = basePath.substring(0, basePath.length() - 1);
        String path = incoming.getPath() == null || incoming.getPath().isEmpty() ? "/" : incoming.getPath();
        return HttpURI.build()
            .scheme(upstream.getScheme())
            .host(upstream.getHost())
            .port(route.port())
            .path(basePath + path)
            .query(incoming.getQuery())
            .asImmutable();
    }

    /**
     * The upstream request, built from the route's origin and the rewritten path and query as
     * they arrived. Jetty's default parses the whole upstream URI with {@code java.net.URI} on every
     * request, which refuses query characters that browsers and apps send and HTTP servers accept
     * ({@code a|b}: a 500 with a stack trace) and, for a plex.direct host name, throws and catches
     * an exception inside the JDK on every request (~3% of the proxy's CPU in a profile).
     */
    @Override
    protected org.eclipse.jetty.client.Request newProxyToServerRequest(Request clientToProxyRequest, HttpURI rewritten)
    {
        org.eclipse.jetty.client.Request request = getHttpClient().newRequest(route.origin())
            .path(rewritten.getPathQuery())
            .method(clientToProxyRequest.getMethod());
        HttpVersion clientVersion = clientToProxyRequest.getConnectionMetaData().getHttpVersion();
        if (nonBlockingInFront && (clientVersion == HttpVersion.HTTP_1_1 || clientVersion == HttpVersion.HTTP_1_0))
            ResponsesOnIoThread.mark(request);
        return request;
    }

    @Override
    protected HttpClient newHttpClient()
    {
        ClientConnector connector = new RecordBatchingSslConnectionFactory.BatchingClientConnector();
        connector.setSslContextFactory(upstreamTls);
        connector.setConnectTimeout(config.getUpstreamConnectTimeout());
        connector.setIdleTimeout(config.getUpstreamIdleTimeout());
        // Responses of HTTP/1.1 clients run on these threads (ResponsesOnIoThread); one selector
        // carrying all of them made keep-alive requests 9% slower on two CPUs, two 8% faster.
        connector.setSelectors(UPSTREAM_SELECTORS);
        for (UpstreamCustomizer customizer : customizers)
            customizer.customizeConnector(route, connector);
        return new HttpClient(newTransport(connector));
    }

    private HttpClientTransport newTransport(ClientConnector connector)
    {
        ClientConnectionFactory.Info http1 = ResponsesOnIoThread.http11();
        return switch (config.getUpstreamProtocol())
        {
            case HTTP1 ->
            {
                HttpClientTransportDynamic transport = new HttpClientTransportDynamic(connector, http1);
                // One request per connection: the idle connections are found in a bitmap, not a walk.
                transport.setConnectionPoolFactory(destination -> new FirstIdleConnectionPool(destination, destination.getHttpClient().getMaxConnectionsPerDestination()));
                yield transport;
            }
            case HTTP2 -> new HttpClientTransportDynamic(connector, new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(connector)));
            case AUTO -> new HttpClientTransportDynamic(connector, http1, new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(connector)));
        };
    }

    @Override
    protected void configureHttpClient(HttpClient client)
    {
        super.configureHttpClient(client);
        // HttpClient puts its own agent first and the proxy then adds the client's: two headers.
        client.setUserAgentField(null);
        client.setConnectTimeout(config.getUpstreamConnectTimeout().toMillis());
        client.setIdleTimeout(config.getUpstreamIdleTimeout().toMillis());
        client.setMaxConnectionsPerDestination(config.getUpstreamMaxConnections());
        // Plex sends long Set-Cookie-free but header-heavy responses; 16 KiB is Jetty's server cap too.
        client.setMaxResponseHeadersSize(16 * 1024);
        // Room for several decrypted records per read, decrypted in place (see RecordBatchingSslConnection).
        client.setResponseBufferSize(RecordBatchingSslConnection.BUFFER_BYTES);
        client.setName("upstream-" + route.routeName());
        // The server's pool (the bytebufferpool module, tunable there), not one of the client's own:
        // HttpClient sizes its own pool's buckets at half the thread pool (16 buffers with 32 threads),
        // so under concurrency most released 64 KiB response buffers were dropped and new ones
        // allocated: under h2load 30,000 direct allocations per 100,000 requests, left for the
        // collector to free (+37 MiB of direct memory at the peak, +42 MiB peak RSS over the bench's
        // phases). Shared, the buffers the client releases serve the front too.
        client.setByteBufferPool(getServer().getByteBufferPool());
        for (UpstreamCustomizer customizer : customizers)
            customizer.customizeClient(route, client);
    }

    @Override
    protected void copyRequestHeaders(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
        super.copyRequestHeaders(clientToProxyRequest, proxyToServerRequest);
        proxyToServerRequest.headers(headers ->
        {
            // The upstream's own authority, whatever the client's protocol: an HTTP/2 client has
            // no Host header at all and an HTTP/2 upstream rejects a Host that differs from
            // :authority. The public host travels in X-Forwarded-Host.
            headers.put(upstreamHost);
            ForwardedHeaders.rebuild(clientToProxyRequest, headers);
        });
    }

    /**
     * @return the {@code Host} every upstream request carries: the upstream's own authority
     */
    public String upstreamAuthority()
    {
        URI upstream = route.uri();
        boolean defaultPort = upstream.getPort() < 0 ||
            ("https".equals(upstream.getScheme()) && upstream.getPort() == 443) ||
            ("http".equals(upstream.getScheme()) && upstream.getPort() == 80);
        return defaultPort ? upstream.getHost() : upstream.getHost() + ":" + upstream.getPort();
    }

    /**
     * Runs the plugins' {@link UpstreamCustomizer#customizeRequest} on a request that does not go
     * through {@link ProxyHandler}, such as a WebSocket upgrade, so plugins see every upstream request.
     */
    public void customizeUpstreamRequest(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
        for (UpstreamCustomizer customizer : customizers)
            customizer.customizeRequest(route, clientToProxyRequest, proxyToServerRequest);
    }

    /**
     * Adds this proxy's {@code Via} entry, as for proxied HTTP requests; nothing when {@code via} is empty.
     */
    public void addVia(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
        if (!getViaHost().isEmpty())
            addViaHeader(clientToProxyRequest, proxyToServerRequest);
    }

    /**
     * Jetty's {@code Via} entry, with the field made once per client protocol when the client
     * sent no {@code Via} of its own (Jetty's code joins the entries when it did): Jetty splits
     * the protocol, concatenates the value and computes the field for every request.
     */
    @Override
    protected void addViaHeader(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
        if (clientToProxyRequest.getHeaders().contains(HttpHeader.VIA))
        {
            super.addViaHeader(clientToProxyRequest, proxyToServerRequest);
            return;
        }
        HttpField via = ownVia.computeIfAbsent(clientToProxyRequest.getConnectionMetaData().getProtocol(), this::newViaField);
        proxyToServerRequest.headers(headers -> headers.add(via));
    }

    private HttpField newViaField(String protocol)
    {
        String[] parts = protocol.split("/", 2);
        // As Jetty writes it: only the version when the protocol is HTTP.
        String protocolPart = parts.length == 2 && "HTTP".equalsIgnoreCase(parts[0]) ? parts[1] : protocol;
        return new HttpField(HttpHeader.VIA, protocolPart + " " + getViaHost());
    }

    @Override
    public void setViaHost(String viaHost)
    {
        super.setViaHost(viaHost);
        ownVia.clear();
    }

    @Override
    protected void addProxyHeaders(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
        // Jetty's own Forwarded header would carry host=null for HTTP/2 clients and the
        // client-controlled chain; ForwardedHeaders already wrote the rebuilt set.
        if (!getViaHost().isEmpty())
            addViaHeader(clientToProxyRequest, proxyToServerRequest);
    }

    @Override
    protected void sendProxyToServerRequest(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest, Response proxyToClientResponse, Callback proxyToClientCallback)
    {
        for (UpstreamCustomizer customizer : customizers)
            customizer.customizeRequest(route, clientToProxyRequest, proxyToServerRequest);
        ResponseStartTimeout.arm(proxyToServerRequest, getHttpClient().getScheduler(), config.getUpstreamResponseTimeout().toMillis());
        org.eclipse.jetty.client.Response.CompleteListener listener = newServerToProxyResponseListener(clientToProxyRequest, proxyToServerRequest,
            new EndOnLastByte(clientToProxyRequest, proxyToClientResponse), proxyToClientCallback);
        Destination destination = reusableDestination(proxyToServerRequest);
        if (destination == null)
            lastDestination = destination = remembered(proxyToServerRequest);
        if (destination == null)
        {
            // Jetty's way, which finds the destination (and reports a failure to find one).
            proxyToServerRequest.send(listener);
            return;
        }
        try
        {
            destination.send(proxyToServerRequest, listener);
        }
        catch (Throwable x)
        {
            proxyToServerRequest.abort(x);
        }
    }

    /**
     * The destination of the previous request when this one has the same origin, or {@code null}.
     * {@code Request.send} looks the destination up in HttpClient's map with
     * {@code ConcurrentHashMap.compute}, which locks the map's bin, then takes the destination's
     * own lock to check that it is not stale: two locks that every request of every thread takes.
     * A route sends all its requests to one destination, and without a destination idle timeout
     * HttpClient never makes one stale or drops it while it runs, so the last one can be reused.
     */
    private Destination reusableDestination(org.eclipse.jetty.client.Request request)
    {
        Destination last = lastDestination;
        if (last == null || !((LifeCycle)last).isRunning())
            return null;
        try
        {
            return last.getOrigin().equals(getHttpClient().getHttpClientTransport().newOrigin(request)) ? last : null;
        }
        catch (RuntimeException x)
        {
            return null;
        }
    }

    /**
     * The request's destination, found as {@code Request.send} finds it, to reuse from now on; or
     * {@code null} where HttpClient could make it stale (a destination idle timeout) or send the
     * request elsewhere (a redirect cache), or where it cannot be found: Jetty's send reports that.
     */
    private Destination remembered(org.eclipse.jetty.client.Request request)
    {
        HttpClient client = getHttpClient();
        if (client.getDestinationIdleTimeout() > 0 || client.getRedirectCache() != null)
            return null;
        try
        {
            return client.resolveDestination(request);
        }
        catch (RuntimeException x)
        {
            return null;
        }
    }

    @Override
    protected void onServerToProxyResponseFailure(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest, org.eclipse.jetty.client.Response serverToProxyResponse, Response proxyToClientResponse, Callback proxyToClientCallback, Throwable failure)
    {
        // The reason goes to the log, for the operator; the client gets a bare status.
        if (!proxyToClientResponse.isCommitted())
            LOG.warn("{} {} via route {}: upstream failed: {}", clientToProxyRequest.getMethod(), Request.getPathInContext(clientToProxyRequest), route.routeName(), describe(failure));
        else if (LOG.isDebugEnabled())
            LOG.debug("upstream failed after the response was committed", failure);
        super.onServerToProxyResponseFailure(clientToProxyRequest, proxyToServerRequest, serverToProxyResponse, proxyToClientResponse, proxyToClientCallback, failure);
    }

    static String describe(Throwable failure)
    {
        StringBuilder text = new StringBuilder();
        Set<Throwable> seen = new java.util.HashSet<>();
        for (Throwable cause = failure; cause != null && seen.add(cause); cause = cause.getCause())
        {
            if (!text.isEmpty())
                text.append(" <- ");
            text.append(cause.getClass().getSimpleName());
            if (cause.getMessage() != null)
                text.append(": ").append(cause.getMessage());
        }
        return text.toString();
    }
}
