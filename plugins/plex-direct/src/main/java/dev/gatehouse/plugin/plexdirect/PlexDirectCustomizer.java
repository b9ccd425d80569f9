package dev.gatehouse.plugin.plexdirect;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import dev.gatehouse.spi.Upstream;
import dev.gatehouse.spi.UpstreamCustomizer;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.SocketAddressResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shapes the upstream client of each Plex route:
 * <ul>
 *   <li>connector: the source address of the hop ({@link Hop}), decided and explained at start;</li>
 *   <li>client: the no-DNS plex.direct resolver, tolerance of Plex's duplicate identical
 *       {@code Content-Length}, and the route's {@link PlexDirectRoute} as a bean, so discovery
 *       runs while the client starts;</li>
 *   <li>request: TLS failures are reported to the route, which explains them and rediscovers.</li>
 * </ul>
 * All three hooks run in the proxy's {@code doStart}, before any request; the request hook only
 * adds a listener and never blocks.
 */
@Singleton
final class PlexDirectCustomizer implements UpstreamCustomizer
{
    /**
     * Plex sends {@code Content-Length} twice, with the same value, on {@code /library/streams}
     * (subtitles); RFC 9110's default mode refuses that. Equal values are accepted, unequal ones are
     * still refused by Jetty's parser (it compares them), so no request smuggling opens up.
     */
    static final HttpCompliance PLEX_COMPLIANCE = HttpCompliance.RFC9110.with("RFC9110_PLEX_DUPLICATE_CONTENT_LENGTH", HttpCompliance.Violation.MULTIPLE_CONTENT_LENGTHS);

    private static final Logger LOG = LoggerFactory.getLogger(PlexDirectCustomizer.class);

    private final PlexDirectConfig config;
    private final Map<String, PlexDirectRoute> routes = new ConcurrentHashMap<>();

    @Inject
    PlexDirectCustomizer(PlexDirectConfig config)
    {
        this.config = config;
    }

    private boolean manages(Upstream upstream)
    {
        return config.getRoutes().contains(upstream.routeName());
    }

    @Override
    public void customizeConnector(Upstream upstream, ClientConnector connector)
    {
        if (!manages(upstream))
            return;
        RoutePlan plan = RoutePlan.of(upstream.uri(), config);
        if (plan.note() != null)
            LOG.warn("plex-direct: route {}: {}", upstream.routeName(), plan.note());
        Hop.Decision hop = Hop.decide(config.getSourceAddress(), plan.serverAddress());
        if (hop.bind() != null)
            connector.setBindAddress(new InetSocketAddress(hop.bind(), 0));
        hop.warnings().forEach(warning -> LOG.warn("plex-direct: route {}: {}", upstream.routeName(), warning));
        if (hop.source() != null && hop.warnings().isEmpty())
            LOG.info("plex-direct: route {}: connections to Plex come from {}{}", upstream.routeName(), hop.source().getHostAddress(),
                hop.bind() != null ? " (bound)" : "");
        if (connector.getSslContextFactory() == null && plan.mode() != RoutePlan.Mode.NONE)
            throw new IllegalStateException("plex-direct: route " + upstream.routeName() + " has no TLS configuration to verify Plex with");
        routes.put(upstream.routeName(), new PlexDirectRoute(upstream, config, plan, hop.bind(), connector.getSslContextFactory()));
    }

    @Override
    public void customizeClient(Upstream upstream, HttpClient client)
    {
        PlexDirectRoute route = routes.get(upstream.routeName());
        if (route == null)
            return;
        client.setSocketAddressResolver(new PlexDirectResolver(new Fallback(client)));
        client.setHttpCompliance(PLEX_COMPLIANCE);
        route.attach(client);
        client.addBean(route, true);
        client.addEventListener(route);
    }

    @Override
    public void customizeRequest(Upstream upstream, Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
        PlexDirectRoute route = routes.get(upstream.routeName());
        if (route == null)
            return;
        proxyToServerRequest.onResponseHeader(PlexDirectCustomizer::keepFirstContentLength);
        proxyToServerRequest.onComplete(result ->
        {
            if (result.isFailed())
                route.onUpstreamFailure(result.getFailure());
        });
    }

    /**
     * The parser (see {@link #PLEX_COMPLIANCE}) lets a repeated, identical {@code Content-Length}
     * through and the proxy would copy both to the client, which may refuse them as nginx does;
     * the repeat is dropped here, before it is added to the response.
     *
     * @return whether to keep the field
     */
    static boolean keepFirstContentLength(org.eclipse.jetty.client.Response response, HttpField field)
    {
        if (field.getHeader() != HttpHeader.CONTENT_LENGTH)
            return true;
        String first = response.getHeaders().get(HttpHeader.CONTENT_LENGTH);
        return first == null || !first.trim().equals(field.getValue().trim());
    }

    /**
     * @return the route's state, for tests
     */
    PlexDirectRoute route(String routeName)
    {
        return routes.get(routeName);
    }

    /**
     * Jetty's default asynchronous resolver, created on first use: its executor and scheduler exist
     * only once the client has started.
     */
    private static final class Fallback implements java.util.function.Supplier<SocketAddressResolver>
    {
        private final HttpClient client;
        private volatile SocketAddressResolver resolver;

        Fallback(HttpClient client)
        {
            this.client = client;
        }

        @Override
        public SocketAddressResolver get()
        {
            SocketAddressResolver current = resolver;
            if (current == null)
            {
                synchronized (this)
                {
                    current = resolver;
                    if (current == null)
                        resolver = current = new SocketAddressResolver.Async(client.getExecutor(), client.getScheduler(), client.getAddressResolutionTimeout());
                }
            }
            return current;
        }
    }
}
