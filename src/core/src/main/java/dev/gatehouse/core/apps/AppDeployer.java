package dev.gatehouse.core.apps;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys Gatehouse apps: starts a new app version before it becomes
 * reachable, refuses one whose host names another app already claims, swaps it into the
 * {@link AppRouter} in one step, and retires the old version gracefully: requests in flight (a
 * download) finish on it, up to the drain timeout, before it stops. A version that fails to start
 * is stopped and the running one stays. Apps of other names are never touched.
 */
public final class AppDeployer extends ContainerLifeCycle
{
    private static final Logger LOG = LoggerFactory.getLogger(AppDeployer.class);

    private final Server server;
    private final AppRouter router;
    private final Duration drainTimeout;
    private final Map<String, AppContext> live = new LinkedHashMap<>();
    private final List<AppContext> pending = new ArrayList<>();
    private final Set<AppContext> retiring = ConcurrentHashMap.newKeySet();

    public AppDeployer(Server server, AppRouter router, Duration drainTimeout)
    {
        this.server = server;
        this.router = router;
        this.drainTimeout = drainTimeout;
    }

    /**
     * Deploys an app when the server starts (the default app, built before anything runs).
     */
    public synchronized void deployAtStart(AppContext app)
    {
        checkHosts(app);
        pending.add(app);
    }

    @Override
    protected void doStart() throws Exception
    {
        super.doStart();
        List<AppContext> starting;
        synchronized (this)
        {
            starting = List.copyOf(pending);
            pending.clear();
        }
        for (AppContext app : starting)
            install(app);
    }

    @Override
    protected void doStop() throws Exception
    {
        List<AppContext> stopping;
        synchronized (this)
        {
            stopping = new ArrayList<>(live.values());
            live.clear();
            router.publish(List.of());
        }
        stopping.addAll(retiring);
        retiring.clear();
        for (AppContext app : stopping)
            LifeCycle.stop(app);
        super.doStop();
    }

    /**
     * Starts the app and makes it answer its host names, replacing the running version of the
     * same name, which then drains.
     *
     * @throws IllegalStateException when another app claims one of its host names or it fails
     * to start; the running version of the app stays
     */
    public void deploy(AppContext app)
    {
        install(app);
    }

    /**
     * Stops routing to the app of that name; its requests in flight drain.
     */
    public void undeploy(String appName)
    {
        AppContext removed;
        synchronized (this)
        {
            removed = live.remove(appName);
            if (removed == null)
                return;
            router.publish(live.values());
        }
        LOG.info("App '{}' removed ({}); it answers no host now", removed.appName(), removed.source());
        retire(removed);
    }

    /**
     * @return the apps answering requests now, by name
     */
    public synchronized Map<String, AppContext> liveApps()
    {
        return Map.copyOf(live);
    }

    /**
     * @return how many retired versions are still finishing requests
     */
    public int retiringApps()
    {
        return retiring.size();
    }

    private void install(AppContext app)
    {
        synchronized (this)
        {
            checkHosts(app);
        }
        try
        {
            app.setServer(server);
            app.start();
        }
        catch (Throwable failure)
        {
            LifeCycle.stop(app);
            throw new IllegalStateException("app '" + app.appName() + "' (" + app.source() + ") failed to start: " + failure.getMessage() +
                (live(app.appName()) ? "; the running version stays" : ""), failure);
        }
        AppContext previous;
        synchronized (this)
        {
            previous = live.put(app.appName(), app);
            router.publish(live.values());
        }
        LOG.info("App '{}' {} ({}): {} -> {}", app.appName(), previous == null ? "deployed" : "redeployed", app.source(),
            app.hosts().isEmpty() ? "any host no other app claims" : String.join(", ", app.hosts()), app.route().uri());
        int position = 1;
        for (String line : app.chainDescription())
            LOG.info("  {}. {}", position++, line);
        if (previous != null)
            retire(previous);
    }

    private synchronized boolean live(String name)
    {
        return live.containsKey(name);
    }

    /**
     * Refuses an app whose host names (or catch-all role) belong to another app: which app
     * answers must never depend on deployment order.
     */
    private void checkHosts(AppContext app)
    {
        List<AppContext> others = new ArrayList<>(pending);
        others.addAll(live.values());
        for (AppContext other : others)
        {
            if (other.appName().equals(app.appName()))
                continue;
            if (app.hosts().isEmpty() && other.hosts().isEmpty())
                throw new IllegalStateException("app '" + app.appName() + "' (" + app.source() + ") names no host, and app '" + other.appName() + "' (" + other.source() + ") already answers any host");
            for (String host : app.hosts())
            {
                if (other.hosts().contains(host))
                    throw new IllegalStateException("app '" + app.appName() + "' (" + app.source() + ") claims the host '" + host + "', which app '" + other.appName() + "' (" + other.source() + ") already answers");
            }
        }
    }

    private void retire(AppContext app)
    {
        retiring.add(app);
        if (drainTimeout.isZero())
        {
            stopRetired(app, "drain timeout 0s");
            return;
        }
        long inFlight = app.requestsInFlight();
        if (inFlight > 0)
            LOG.info("App '{}': the previous version finishes {} request(s) in flight (for up to {}) before it stops", app.appName(), inFlight, drainTimeout);
        // Stopping runs on a pool thread: the last request completes on a thread inside this app.
        app.drain().whenComplete((ignored, failure) -> server.getThreadPool().execute(() -> stopRetired(app, inFlight > 0 ? "its last request completed" : "no request in flight")));
        server.getScheduler().schedule(() -> stopRetired(app, "the drain timeout of " + drainTimeout + " passed"), drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void stopRetired(AppContext app, String reason)
    {
        if (!retiring.remove(app))
            return;
        LOG.info("App '{}': previous version stopped ({})", app.appName(), reason);
        LifeCycle.stop(app);
    }
}
