package dev.gatehouse.core.apps;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import dev.gatehouse.core.proxy.Route;
import dev.gatehouse.core.websocket.WebSocketBridge;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * One app: its host names, its plugin chain, WebSocket bridge and proxy to its upstream. The
 * {@link AppRouter} picks it by host name; the {@link AppDeployer} starts, publishes and retires it.
 * Requests are counted so that a retired version can finish what is in flight before it stops.
 * WebSocket upgrades are not counted: a notification socket would hold a retired version for
 * hours, while its client reconnects at once (to the new version) when it is closed with 1001.
 */
public final class AppContext extends ContextHandler
{
    private final String appName;
    private final String source;
    private final List<String> hosts;
    private final Route route;
    private final List<String> chainDescription;
    private final AtomicLong inFlight = new AtomicLong();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;
    /** Its handlers' type, taken once started: the chain is linked once and never changes. */
    private volatile InvocationType startedInvocationType;

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
        setHandler(chain);
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

    @Override
    protected void doStart() throws Exception
    {
        super.doStart();
        startedInvocationType = super.getInvocationType();
    }

    @Override
    protected void doStop() throws Exception
    {
        startedInvocationType = null;
        super.doStop();
    }

    /**
     * @return whether its handlers may block; asked by the {@link AppRouter} for every request, so
     * answered without walking the chain once started
     */
    @Override
    public InvocationType getInvocationType()
    {
        InvocationType started = startedInvocationType;
        return started != null ? started : super.getInvocationType();
    }

    /**
     * @return the number of requests this version is serving now
     */
    public long requestsInFlight()
    {
        return inFlight.get();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception
    {
        if (WebSocketBridge.isWebSocketUpgrade(request))
            return super.handle(request, response, callback);
        inFlight.incrementAndGet();
        boolean handled = false;
        try
        {
            handled = super.handle(request, response, new Callback.Nested(callback)
            {
                @Override
                public void succeeded()
                {
                    requestCompleted();
                    super.succeeded();
                }

                @Override
                public void failed(Throwable failure)
                {
                    requestCompleted();
                    super.failed(failure);
                }
            });
            return handled;
        }
        finally
        {
            if (!handled)
                requestCompleted();
        }
    }

    private void requestCompleted()
    {
        if (inFlight.decrementAndGet() == 0 && draining)
            drained.complete(null);
    }

    /**
     * @return completes when no request is in flight any more; called once the router no longer
     * lists this version, so none arrive
     */
    CompletableFuture<Void> drain()
    {
        draining = true;
        if (inFlight.get() == 0)
            drained.complete(null);
        return drained;
    }

    @Override
    public String toString()
    {
        return "app '" + appName + "' (" + source + ") " + (hosts.isEmpty() ? "any host" : String.join(",", hosts)) + " -> " + route.uri();
    }
}
