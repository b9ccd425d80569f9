package dev.gatehouse.core.apps;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.gatehouse.core.proxy.Route;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * One app: its host names, its plugin chain, WebSocket bridge and proxy to its upstream. The
 * {@link AppRouter} picks it by host name; the {@link AppDeployer} starts, publishes and retires it.
 * Requests are counted so that a retired version can finish what is in flight before it stops.
 */
public final class AppContext extends ContextHandler
{
    private final String appName;
    private final String source;
    private final List<String> hosts;
    private final Route route;
    private final List<String> chainDescription;
    private final GracefulHandler inFlight;

    /**
     * @param appName the route name: {@code default} or the app file's base name
     * @param source where the app was configured, for messages ({@code start.d} or the file)
     * @param hosts the host names it answers for; empty for the default app answering any host
     * @param chain the plugin chain, ending in the WebSocket bridge and the proxy
     * @param chainDescription one line per handler, outermost first, for the start-up log
     */
    public AppContext(String appName, String source, List<String> hosts, Route route, Handler chain, List<String> chainDescription)
    {
        super("/");
        this.appName = appName;
        this.source = source;
        this.hosts = List.copyOf(hosts);
        this.route = route;
        this.chainDescription = List.copyOf(chainDescription);
        this.inFlight = new GracefulHandler(chain);
        setHandler(inFlight);
        setDisplayName("gatehouse-app-" + appName);
    }

    public String appName()
    {
        return appName;
    }

    public String source()
    {
        return source;
    }

    public List<String> hosts()
    {
        return hosts;
    }

    public Route route()
    {
        return route;
    }

    public List<String> chainDescription()
    {
        return chainDescription;
    }

    /**
     * @return the number of requests this version is serving now
     */
    public long requestsInFlight()
    {
        return inFlight.getCurrentRequestCount();
    }

    /**
     * Refuses new requests (none arrive once the router no longer lists this version) and
     * completes when the last request in flight has completed.
     */
    CompletableFuture<Void> drain()
    {
        return inFlight.shutdown();
    }

    @Override
    public String toString()
    {
        return "app '" + appName + "' (" + source + ") " + (hosts.isEmpty() ? "any host" : String.join(",", hosts)) + " -> " + route.uri();
    }
}
