package dev.gatehouse.core.apps;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;

import dev.gatehouse.core.HostNames;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * Routes each request to the app that claims its host name: an exact name first, then a
 * {@code *.}-wildcard (one label, as in Jetty's virtual hosts), then the default app if it answers
 * any host. A host no app claims is handed to the wrapped handler (Jetty's {@code Contexts}, where
 * other Jetty modules deploy) and, when nothing there answers, gets a 404 saying so: never another
 * app's content.
 *
 * <p>The table is an immutable snapshot replaced in one write, so a request sees either the old
 * or the new set of apps, and a change never blocks or disturbs requests in flight.</p>
 */
public final class AppRouter extends Handler.Wrapper
{
    static final String NO_APP_BODY = "404 Not Found\nNo app is configured for this host name.\n";

    private volatile Table table = new Table(Map.of(), Map.of(), null);
    private Set<AppContext> published = Set.of();

    /**
     * Replaces the routing table; called by the {@link AppDeployer} only.
     *
     * @param apps the live apps; their host names do not overlap
     */
    synchronized void publish(Iterable<AppContext> apps)
    {
        Map<String, AppContext> exact = new HashMap<>();
        Map<String, AppContext> wildcard = new HashMap<>();
        AppContext anyHost = null;
        for (AppContext app : apps)
        {
            if (app.hosts().isEmpty())
                anyHost = app;
            for (String host : app.hosts())
            {
                if (HostNames.isWildcard(host))
                    wildcard.put(host.substring(2), app);
                else
                    exact.put(host, app);
            }
        }
        table = new Table(Map.copyOf(exact), Map.copyOf(wildcard), anyHost);
        // In Jetty's component tree (dumps, getDescendants) but not managed: the deployer starts
        // each app before it is published and stops it after it drained.
        Set<AppContext> current = new HashSet<>();
        apps.forEach(current::add);
        for (AppContext app : current)
        {
            if (!published.contains(app))
                addBean(app, false);
        }
        for (AppContext app : published)
        {
            if (!current.contains(app))
                removeBean(app);
        }
        published = current;
    }

    /**
     * @return the wrapped handler and the published apps, so that {@code getDescendants} (and
     * everything that walks the handler tree) finds the apps' handlers
     */
    @Override
    public List<Handler> getHandlers()
    {
        List<Handler> handlers = new ArrayList<>(super.getHandlers());
        synchronized (this)
        {
            handlers.addAll(published);
        }
        return handlers;
    }

    /**
     * @return the app that answers for the host name, or {@code null}
     */
    public AppContext route(String serverName)
    {
        return table.route(serverName);
    }

    /**
     * Non-blocking whatever the apps are: an app (or a Jetty context behind the router) that may
     * block is handed to the pool here, per request. Jetty asks the server's handlers once, when it
     * starts, and its dynamic {@code Contexts} always answer {@code BLOCKING}; said of the router,
     * that made Jetty hand every request of every app to another thread until session 18 (a
     * reserved thread taking over the selector, or a pool thread). Non-blocking, a request is
     * handled on the selector's thread that read it: in the benchmark's interleaved pairs 3.6% more
     * keep-alive and 4% more HTTP/2 requests per second, each better in 8-9 of 12 rounds.
     */
    @Override
    public InvocationType getInvocationType()
    {
        return InvocationType.NON_BLOCKING;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception
    {
        AppContext app = route(Request.getServerName(request));
        Handler target = app != null ? app : getHandler();
        if (target != null && target.getInvocationType() != InvocationType.NON_BLOCKING && !isEmpty(target))
        {
            handOff(target, app != null, request, response, callback);
            return true;
        }
        if (target != null && target.handle(request, response, callback))
            return true;
        if (app != null)
            return false;
        notFound(response, callback);
        return true;
    }

    /**
     * Handles the request on a pool thread, where the target may block.
     */
    private static void handOff(Handler target, boolean isApp, Request request, Response response, Callback callback)
    {
        try
        {
            request.getComponents().getExecutor().execute(() ->
            {
                try
                {
                    if (target.handle(request, response, callback))
                        return;
                    // As Jetty answers a request no handler took, or as the router does for an unknown host.
                    if (isApp)
                        Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                    else
                        notFound(response, callback);
                }
                catch (Throwable x)
                {
                    callback.failed(x);
                }
            });
        }
        catch (RejectedExecutionException x)
        {
            callback.failed(x);
        }
    }

    private static boolean isEmpty(Handler target)
    {
        return target instanceof Handler.Container container && container.getHandlers().isEmpty();
    }

    private static void notFound(Response response, Callback callback)
    {
        response.setStatus(HttpStatus.NOT_FOUND_404);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, MimeTypes.Type.TEXT_PLAIN_UTF_8.asString());
        response.write(true, ByteBuffer.wrap(NO_APP_BODY.getBytes(StandardCharsets.UTF_8)), callback);
    }

    private record Table(Map<String, AppContext> exact, Map<String, AppContext> wildcard, AppContext anyHost)
    {
        AppContext route(String serverName)
        {
            if (serverName != null && !serverName.isEmpty())
            {
                String host = serverName.toLowerCase(Locale.ROOT);
                if (host.endsWith("."))
                    host = host.substring(0, host.length() - 1);
                AppContext app = exact.get(host);
                if (app != null)
                    return app;
                int dot = host.indexOf('.');
                if (dot > 0)
                {
                    app = wildcard.get(host.substring(dot + 1));
                    if (app != null)
                        return app;
                }
            }
            return anyHost;
        }
    }
}
