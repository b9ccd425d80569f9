package dev.gatehouse.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.gatehouse.core.proxy.FirstIdlePool;
import org.eclipse.jetty.util.ConcurrentPool;
import org.eclipse.jetty.util.Pool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One upstream request's use of the connection pool (acquire an idle connection, release it) with
 * {@code busy} of the pool's 256 connections in use by other requests: Jetty's ConcurrentPool as
 * its DuplexConnectionPool and MultiplexConnectionPool build it (FIRST), against the
 * FirstIdlePool of Gatehouse's HTTP/1.1 routes, which picks the same connection. With all 256 busy
 * the acquire finds nothing (the request queues), as under HTTP/2 load with more streams than
 * upstream connections.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class UpstreamPoolBenchmark
{
    private static final int SIZE = 256;

    @Param({"0", "32", "224", "255", "256"})
    public int busy;

    @Param({"jetty-first", "first-idle"})
    public String pool;

    private Pool<Object> connections;

    @Setup(Level.Trial)
    public void fill()
    {
        connections = pool.equals("first-idle") ? new FirstIdlePool<>(SIZE) : new ConcurrentPool<>(ConcurrentPool.StrategyType.FIRST, SIZE);
        List<Pool.Entry<Object>> entries = new ArrayList<>();
        for (int i = 0; i < SIZE; i++)
        {
            Pool.Entry<Object> entry = connections.reserve();
            entry.enable(new Object(), true);
            entries.add(entry);
        }
        // The first ones stay in use: where FIRST looks first, as in a loaded pool.
        for (int i = busy; i < SIZE; i++)
            entries.get(i).release();
    }

    @Benchmark
    public Object acquireAndRelease()
    {
        Pool.Entry<Object> entry = connections.acquire();
        if (entry != null)
            entry.release();
        return entry;
    }
}
