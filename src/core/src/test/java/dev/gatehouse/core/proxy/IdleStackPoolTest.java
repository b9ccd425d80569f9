package dev.gatehouse.core.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;

import org.eclipse.jetty.util.ConcurrentPool;
import org.eclipse.jetty.util.Pool;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdleStackPoolTest
{
    /**
     * Jetty's AbstractConnectionPool relies on the pool's answers (a failed release means remove,
     * a successful remove means close): every operation, in every state, answers as Jetty's
     * ConcurrentPool does with one use per entry. Only which idle entry an acquire picks differs,
     * so the script acquires when one entry is idle.
     */
    @Test
    void everyOperationAnswersAsJettysPoolDoes()
    {
        IntFunction<Pool<String>> jettys = max -> new ConcurrentPool<>(ConcurrentPool.StrategyType.FIRST, max);
        IntFunction<Pool<String>> ours = IdleStackPool::new;

        assertEquals(transcript(jettys), transcript(ours));
    }

    private static List<String> transcript(IntFunction<Pool<String>> newPool)
    {
        Pool<String> pool = newPool.apply(3);
        Transcript log = new Transcript(pool);
        Pool.Entry<String> a = pool.reserve();
        Pool.Entry<String> b = pool.reserve();
        Pool.Entry<String> c = pool.reserve();
        log.add("three reserved", a != null && b != null && c != null);
        log.add("a fourth when full", pool.reserve());
        log.add("acquire with none enabled", pool.acquire());
        log.entry("a reserved", a);
        log.add("enable a idle", a.enable("a", false));
        log.entry("a idle", a);
        log.add("enable a again", attempt(() -> a.enable("a", false)));
        log.add("enable b in use", b.enable("b", true));
        log.entry("b in use", b);
        log.add("acquire gets a", pool.acquire() == a);
        log.add("acquire with none idle", pool.acquire());
        log.add("release b", b.release());
        log.add("release b twice", b.release());
        log.add("acquire gets b", pool.acquire() == b);
        log.add("remove b in use", b.remove());
        log.entry("b removed", b);
        log.add("remove b again", b.remove());
        log.add("release b after removal", b.release());
        log.add("size after removal", pool.size());
        log.add("release a", a.release());
        log.add("remove a idle", a.remove());
        log.add("acquire with a removed", pool.acquire());
        log.add("remove c reserved", c.remove());
        log.add("size", pool.size());

        Pool.Entry<String> d = pool.reserve();
        Pool.Entry<String> e = pool.reserve();
        Pool.Entry<String> f = pool.reserve();
        log.add("enable d in use", d.enable("d", true));
        log.add("enable e idle", e.enable("e", false));
        log.add("terminated entries", pool.terminate().size());
        log.add("pool terminated", pool.isTerminated());
        log.entry("d terminated in use", d);
        log.entry("e terminated idle", e);
        log.entry("f terminated reserved", f);
        log.add("enable f after terminate", attempt(() -> f.enable("f", false)));
        log.add("acquire after terminate", pool.acquire());
        log.add("reserve after terminate", pool.reserve());
        log.add("release d after terminate", d.release());
        log.add("remove d after terminate", d.remove());
        log.add("remove d twice", d.remove());
        log.add("remove e after terminate", e.remove());
        log.add("size after terminate", pool.size());
        return log.lines;
    }

    private static Object attempt(java.util.function.Supplier<Object> action)
    {
        try
        {
            return action.get();
        }
        catch (RuntimeException e)
        {
            return e.getClass().getSimpleName();
        }
    }

    private record Transcript(Pool<String> pool, List<String> lines)
    {
        Transcript(Pool<String> pool)
        {
            this(pool, new ArrayList<>());
        }

        void add(String step, Object answer)
        {
            Object shown = answer instanceof Pool.Entry<?> entry ? "entry " + entry.getPooled() : answer;
            lines.add(step + ": " + shown + " | idle=" + pool.getIdleCount() + " inUse=" + pool.getInUseCount() + " reserved=" + pool.getReservedCount());
        }

        void entry(String step, Pool.Entry<String> entry)
        {
            lines.add(step + ": reserved=" + entry.isReserved() + " idle=" + entry.isIdle() + " inUse=" + entry.isInUse() + " terminated=" + entry.isTerminated());
        }
    }

    /** The most recently released connection is handed out first: the others can idle out. */
    @Test
    void theMostRecentlyReleasedEntryIsAcquiredFirst()
    {
        IdleStackPool<String> pool = new IdleStackPool<>(4);
        List<Pool.Entry<String>> entries = new ArrayList<>();
        for (String name : List.of("a", "b", "c"))
        {
            Pool.Entry<String> entry = pool.reserve();
            entry.enable(name, true);
            entries.add(entry);
        }
        entries.get(0).release();
        entries.get(2).release();
        entries.get(1).release();

        assertEquals("b", pool.acquire().getPooled());
        assertEquals("c", pool.acquire().getPooled());
        assertEquals("a", pool.acquire().getPooled());
        assertNull(pool.acquire());
    }

    /** An entry removed while idle is never handed out, and leaves no slot behind. */
    @Test
    void anEntryRemovedWhileIdleIsNotAcquired()
    {
        IdleStackPool<String> pool = new IdleStackPool<>(2);
        Pool.Entry<String> first = pool.reserve();
        first.enable("first", false);
        Pool.Entry<String> second = pool.reserve();
        second.enable("second", false);

        assertTrue(second.remove());

        assertSame(first, pool.acquire());
        assertNull(pool.acquire());
        assertEquals(1, pool.size());
        assertNotNull(pool.reserve(), "the removed entry's slot is free");
    }

    /**
     * Threads acquiring and releasing at once never hold one entry together, and every entry
     * ends idle.
     */
    @Test
    void concurrentUsersNeverShareAnEntry() throws Exception
    {
        int size = 8;
        IdleStackPool<AtomicBoolean> pool = new IdleStackPool<>(size);
        for (int i = 0; i < size; i++)
            pool.reserve().enable(new AtomicBoolean(), false);
        int threads = 4;
        int rounds = 20_000;
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try
        {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                results.add(executor.submit(() ->
                {
                    start.await();
                    int shared = 0;
                    for (int i = 0; i < rounds; i++)
                    {
                        Pool.Entry<AtomicBoolean> entry = pool.acquire();
                        if (entry == null)
                            continue;
                        if (!entry.getPooled().compareAndSet(false, true))
                            shared++;
                        Thread.onSpinWait();
                        entry.getPooled().set(false);
                        if (!entry.release())
                            shared++;
                    }
                    return shared;
                }));
            }
            start.countDown();
            for (Future<Integer> result : results)
                assertEquals(0, result.get(60, TimeUnit.SECONDS));
        }
        finally
        {
            executor.shutdownNow();
        }
        assertEquals(size, pool.getIdleCount());
        assertEquals(size, pool.size());
    }

    /**
     * An entry whose holder was lost without a release or removal does not fill the pool for
     * good: a full pool sweeps it, as Jetty's does.
     */
    @Test
    void aLostEntryIsSweptWhenThePoolIsFull() throws Exception
    {
        IdleStackPool<String> pool = new IdleStackPool<>(1);
        acquireAndLose(pool);
        assertNull(pool.reserve(), "full while the lost entry may still be reachable");

        Pool.Entry<String> reserved = null;
        for (int i = 0; i < 50 && reserved == null; i++)
        {
            System.gc();
            Thread.sleep(20);
            reserved = pool.reserve();
        }
        assertNotNull(reserved, "the lost entry's slot was swept");
        assertEquals(1, pool.getLeaked());
    }

    private static void acquireAndLose(IdleStackPool<String> pool)
    {
        pool.reserve().enable("lost", true);
    }
}
