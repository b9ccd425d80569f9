package dev.gatehouse.core;

import java.util.Map;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread pool's size when nobody chose one: 8 threads per CPU, at least 32, instead of Jetty's
 * 200. Jetty's default suits handlers that block; a proxy's requests and responses wait without a
 * thread, so threads beyond the CPUs' worth only take turns. Under scripts/bench on 2 CPUs the pool
 * grew to its 200 threads (Jetty starts a thread whenever a task finds none idle, and keeps it for
 * a minute), and with 32 the same runs used 21-23% less CPU per request, with 26-33% more requests
 * per second and a lower p99, in two runs.
 */
public final class ThreadPoolSizing
{
    static final String PROPERTY = "jetty.threadPool.maxThreads";
    /** Server attribute present when the pool's size is this class's choice, not the user's. */
    private static final String CHOSEN = ThreadPoolSizing.class.getName() + ".chosen";
    /** Leases change the pool size read-modify-write: apps start and stop on more than one thread. */
    private static final Object LEASES = new Object();
    /** Jetty's own default, which means no one chose. */
    private static final int JETTY_DEFAULT = 200;
    private static final Logger LOG = LoggerFactory.getLogger(ThreadPoolSizing.class);

    private ThreadPoolSizing()
    {
    }

    static void apply(Server server, Map<String, String> properties)
    {
        if (!(server.getThreadPool() instanceof QueuedThreadPool pool) || pool.isStarted())
            return;
        if (properties.containsKey(PROPERTY) || pool.getMaxThreads() != JETTY_DEFAULT)
        {
            LOG.info("Thread pool: at most {} threads ({})", pool.getMaxThreads(), PROPERTY);
            return;
        }
        int threads = forProcessors(Runtime.getRuntime().availableProcessors());
        pool.setMaxThreads(Math.max(threads, pool.getMinThreads()));
        server.setAttribute(CHOSEN, Boolean.TRUE);
        LOG.info("Thread pool: at most {} threads (8 per CPU, at least 32; {} sets another number)", pool.getMaxThreads(), PROPERTY);
    }

    /**
     * Adds threads that a component keeps for itself (an upstream client's selectors) to a pool
     * whose size Gatehouse chose, so that each app's selectors neither eat the threads requests
     * run on nor, with many apps, exceed the pool (Jetty refuses to start a selector that would
     * leave the pool no thread). A size the user chose is left alone.
     *
     * @return the threads added, to give back with {@link #release}
     */
    public static int lease(Server server, int threads)
    {
        if (server == null || server.getAttribute(CHOSEN) == null || !(server.getThreadPool() instanceof QueuedThreadPool pool))
            return 0;
        synchronized (LEASES)
        {
            pool.setMaxThreads(pool.getMaxThreads() + threads);
        }
        return threads;
    }

    /**
     * Takes back threads {@link #lease} added.
     */
    public static void release(Server server, int threads)
    {
        if (threads == 0 || server == null || !(server.getThreadPool() instanceof QueuedThreadPool pool))
            return;
        synchronized (LEASES)
        {
            pool.setMaxThreads(Math.max(pool.getMinThreads(), pool.getMaxThreads() - threads));
        }
    }

    static int forProcessors(int processors)
    {
        return Math.max(32, 8 * processors);
    }
}
