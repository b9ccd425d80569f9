package dev.gatehouse.core.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import org.eclipse.jetty.util.ConcurrentPool;
import org.eclipse.jetty.util.Pool;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class FirstIdlePoolTest
{
    private static final IntFunction<Pool<String>> JETTYS = max -> new ConcurrentPool<>(ConcurrentPool.StrategyType.FIRST, max);
    private static final IntFunction<Pool<String>> OURS = FirstIdlePool::new;

    /**
     * Jetty's AbstractConnectionPool relies on the pool's answers (a failed release means remove,
     * a successful remove means close): every operation, in every state, answers as Jetty's
     * ConcurrentPool does with one use per entry, and every acquire picks the entry Jetty's picks.
     */
    @Test
    void everyOperationAnswersAsJettysPoolDoes()
    {
        assertEquals(transcript(JETTYS), transcript(OURS));
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
        log.add("acquire", pool.acquire());
        log.add("acquire with none idle", pool.acquire());
        log.add("release b", b.release());
        log.add("release b twice", b.release());
        log.add("release a", a.release());
        log.add("acquire", pool.acquire());
        log.add("acquire", pool.acquire());
        log.add("release b", b.release());
        log.add("acquire", pool.acquire());
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

    private static Object attempt(Supplier<Object> action)
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

    /**
     * The idle entry in the lowest slot goes first, whatever the order of release, as with
     * Jetty's FIRST strategy: the connections at the top stay unused and reach their idle timeout,
     * and the one that has just finished a response is not the next one sent on. Seventy entries
     * span two words of the bitmap.
     */
    @Test
    void theIdleEntryInTheLowestSlotIsAcquiredFirstAsInJettysPool()
    {
        assertEquals(acquisitionOrder(JETTYS), acquisitionOrder(OURS));
        assertEquals(List.of("e0", "e3", "e64", "e69", "none"), acquisitionOrder(OURS));
    }

    private static List<String> acquisitionOrder(IntFunction<Pool<String>> newPool)
    {
        Pool<String> pool = newPool.apply(80);
        List<Pool.Entry<String>> entries = new ArrayList<>();
        for (int i = 0; i < 70; i++)
        {
            Pool.Entry<String> entry = pool.reserve();
            entry.enable("e" + i, true);
            entries.add(entry);
        }
        for (int i : new int[]{69, 3, 64, 0})
            entries.get(i).release();
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 5; i++)
        {
            Pool.Entry<String> entry = pool.acquire();
            order.add(entry == null ? "none" : entry.getPooled());
        }
        return order;
    }

    /** A removed entry's slot is the next one reserved, so a new connection is preferred over older spares. */
    @Test
    void aNewEntryTakesTheLowestFreeSlot()
    {
        FirstIdlePool<String> pool = new FirstIdlePool<>(4);
        Pool.Entry<String> first = enableIdle(pool, "first");
        enableIdle(pool, "second");

        first.remove();
        enableIdle(pool, "replacement");

        assertEquals("replacement", pool.acquire().getPooled());
        assertEquals("second", pool.acquire().getPooled());
        assertNull(pool.acquire());
    }

    private static Pool.Entry<String> enableIdle(Pool<String> pool, String name)
    {
        Pool.Entry<String> entry = pool.reserve();
        entry.enable(name, false);
        return entry;
    }

    /** An entry removed while idle is never handed out, and leaves no slot behind. */
    @Test
    void anEntryRemovedWhileIdleIsNotAcquired()
    {
        FirstIdlePool<String> pool = new FirstIdlePool<>(2);
        Pool.Entry<String> first = enableIdle(pool, "first");
        Pool.Entry<String> second = enableIdle(pool, "second");

        assertEquals(true, first.remove());

        assertSame(second, pool.acquire());
        assertNull(pool.acquire());
        assertEquals(1, pool.size());
        assertNotNull(pool.reserve(), "the removed entry's slot is free");
    }

    /**
     * Threads acquiring and releasing at once, while others remove entries and reserve new ones
     * in their place, never hold one entry together and never lose an idle one: at the end every
     * entry still in the pool is idle and can be acquired once.
     */
    @Test
    void concurrentUsersNeverShareAnEntryNorLoseOne() throws Exception
    {
        int size = 100;
        FirstIdlePool<AtomicBoolean> pool = new FirstIdlePool<>(size);
        for (int i = 0; i < size; i++)
            pool.reserve().enable(new AtomicBoolean(), false);
        int threads = 4;
        int rounds = 50_000;
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
                    int faults = 0;
                    for (int i = 0; i < rounds; i++)
                    {
                        Pool.Entry<AtomicBoolean> entry = pool.acquire();
                        if (entry == null)
                            continue;
                        if (!entry.getPooled().compareAndSet(false, true))
                            faults++;
                        Thread.onSpinWait();
                        entry.getPooled().set(false);
                        // Now and then the connection closes and a new one takes a slot.
                        if (ThreadLocalRandom.current().nextInt(16) == 0)
                        {
                            if (!entry.remove())
                                faults++;
                            Pool.Entry<AtomicBoolean> replacement = pool.reserve();
                            if (replacement == null || !replacement.enable(new AtomicBoolean(), false))
                                faults++;
                        }
                        else if (!entry.release())
                        {
                            faults++;
                        }
                    }
                    return faults;
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
        assertEquals(size, pool.size());
        assertEquals(size, pool.getIdleCount());
        int acquired = 0;
        while (pool.acquire() != null)
            acquired++;
        assertEquals(size, acquired, "every idle entry can be found");
    }

    /**
     * An entry whose holder was lost without a release or removal does not fill the pool for
     * good: a full pool frees its slot once it is collected, as Jetty's pool does.
     */
    @Test
    void aLostEntrysSlotIsFreedWhenThePoolIsFull() throws Exception
    {
        FirstIdlePool<String> pool = new FirstIdlePool<>(1);
        acquireAndLose(pool);
        assertNull(pool.reserve(), "full while the lost entry may still be reachable");

        Pool.Entry<String> reserved = null;
        for (int i = 0; i < 50 && reserved == null; i++)
        {
            System.gc();
            Thread.sleep(20);
            reserved = pool.reserve();
        }
        assertNotNull(reserved, "the lost entry's slot was freed");
        assertEquals(1, pool.getLeaked());
    }

    private static void acquireAndLose(FirstIdlePool<String> pool)
    {
        pool.reserve().enable("lost", true);
    }

    /** An idle entry is held by the pool alone and is not collected. */
    @Test
    void anIdleEntryIsKeptByThePool() throws Exception
    {
        FirstIdlePool<String> pool = new FirstIdlePool<>(1);
        pool.reserve().enable("idle", false);
        for (int i = 0; i < 3; i++)
        {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals("idle", pool.acquire().getPooled());
        assertEquals(0, pool.getLeaked());
    }
}
