package dev.gatehouse.core.proxy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.eclipse.jetty.util.AtomicBiInteger;
import org.eclipse.jetty.util.Pool;
import org.eclipse.jetty.util.thread.AutoLock;

/**
 * A pool of entries used by one holder at a time (HTTP/1.1 connections) that hands out the idle
 * entry in the lowest slot, as Jetty's {@code ConcurrentPool} with its {@code FIRST} strategy
 * does, but finds it in a bitmap of idle slots instead of walking every entry.
 *
 * <p>Jetty's pool asks each entry in turn whether it is idle, so an acquire passes over every
 * busy connection, and when all are busy it walks them all to find nothing: under HTTP/2 load
 * (more streams than upstream connections) Jetty's connection pool does that several times per
 * request (its acquire, again after trying to create a connection, and again for each queued
 * request when a connection comes back), 12.9% of the proxy's CPU in a profile. Here an acquire
 * reads one word per 64 slots. It picks the connection Jetty's pool picks: preferring the lowest
 * slot keeps the surplus connections unused so that they reach their idle timeout, and, unlike a
 * stack of the most recently released, does not favour the connection whose reader may still be
 * finishing the response it has just delivered (session 11's idle stack did, and slowed
 * HTTP/1.1).</p>
 *
 * <p>An entry's states and its answers are those of Jetty's pool with a multiplex of one
 * (reserved, idle, in use; terminated; removed once), so {@code AbstractConnectionPool} sees the
 * same pool. As in Jetty's pool, entries that are reserved or in use are held only weakly: one
 * whose holder was lost without a release is collected, and its slot is freed at the next reserve.</p>
 */
public final class FirstIdlePool<P> implements Pool<P>
{
    // An entry's state, in the encoding of Jetty's ConcurrentPool.
    // HI: 0 available, -1 terminated, -2 removed. LO: -1 reserved, 0 idle, 1 in use.
    private static final int AVAILABLE = 0;
    private static final int TERMINATED = -1;
    private static final int REMOVED = -2;
    private static final int RESERVED = -1;
    private static final int IDLE = 0;
    private static final int IN_USE = 1;

    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final int maxSize;
    /** Bit i set: the entry in slot i was idle when set; cleared by whoever then takes it. */
    private final long[] idleSlots;
    private final AtomicReferenceArray<Slot<P>> slots;
    private final ReferenceQueue<SlotEntry<P>> collected = new ReferenceQueue<>();
    private final LongAdder leaked = new LongAdder();
    /** Guards taking and freeing slots, and termination; never taken by acquire or release. */
    private final AutoLock lock = new AutoLock();
    private volatile int size;
    private volatile boolean terminated;

    /**
     * @param maxSize the most entries the pool holds
     */
    public FirstIdlePool(int maxSize)
    {
        if (maxSize <= 0)
            throw new IllegalArgumentException("maxSize must be positive: " + maxSize);
        this.maxSize = maxSize;
        this.idleSlots = new long[(maxSize + 63) / 64];
        this.slots = new AtomicReferenceArray<>(maxSize);
    }

    @Override
    public Entry<P> reserve()
    {
        try (AutoLock ignored = lock.lock())
        {
            // Read under the lock: terminate() sets it and empties the slots under the same lock.
            if (terminated)
                return null;
            freeCollectedSlots();
            if (size >= maxSize)
                return null;
            for (int index = 0; index < maxSize; index++)
            {
                if (slots.get(index) == null)
                {
                    SlotEntry<P> entry = new SlotEntry<>(this, index);
                    slots.set(index, entry.slot);
                    size++;
                    return entry;
                }
            }
            throw new IllegalStateException("no free slot in " + this);
        }
    }

    /**
     * Frees the slots of entries collected while reserved or in use (their holders lost them): a
     * poll of the reference queue, so a full pool answers at once however often it is asked.
     */
    private void freeCollectedSlots()
    {
        for (Reference<? extends SlotEntry<P>> reference; (reference = collected.poll()) != null; )
        {
            Slot<P> slot = (Slot<P>)reference;
            if (slots.compareAndSet(slot.index, slot, null))
            {
                size--;
                leaked.increment();
            }
        }
    }

    @Override
    public Entry<P> acquire()
    {
        if (terminated)
            return null;
        for (int word = 0; word < idleSlots.length; word++)
        {
            long bits = (long)WORDS.getVolatile(idleSlots, word);
            while (bits != 0)
            {
                long lowest = Long.lowestOneBit(bits);
                long witness = (long)WORDS.compareAndExchange(idleSlots, word, bits, bits & ~lowest);
                if (witness != bits)
                {
                    bits = witness;
                    continue;
                }
                bits &= ~lowest;
                // The bit was this caller's to take; the entry may since have been removed, or
                // its slot given to a new entry: only an entry still idle is handed out.
                Slot<P> slot = slots.get(word * 64 + Long.numberOfTrailingZeros(lowest));
                SlotEntry<P> entry = slot == null ? null : slot.get();
                if (entry != null && entry.tryAcquire())
                    return entry;
            }
        }
        return null;
    }

    private void markIdle(int index)
    {
        WORDS.getAndBitwiseOr(idleSlots, index / 64, 1L << index);
    }

    private void unmarkIdle(int index)
    {
        WORDS.getAndBitwiseAnd(idleSlots, index / 64, ~(1L << index));
    }

    /** Frees the entry's slot unless termination emptied the slots first. */
    private void free(SlotEntry<P> entry)
    {
        try (AutoLock ignored = lock.lock())
        {
            if (slots.compareAndSet(entry.slot.index, entry.slot, null))
            {
                unmarkIdle(entry.slot.index);
                size--;
            }
        }
    }

    @Override
    public boolean isTerminated()
    {
        return terminated;
    }

    @Override
    public Collection<Entry<P>> terminate()
    {
        List<Entry<P>> entries = new ArrayList<>();
        try (AutoLock ignored = lock.lock())
        {
            terminated = true;
            for (int index = 0; index < maxSize; index++)
            {
                Slot<P> slot = slots.getAndSet(index, null);
                SlotEntry<P> entry = slot == null ? null : slot.get();
                if (entry != null)
                    entries.add(entry);
            }
            for (int word = 0; word < idleSlots.length; word++)
                WORDS.setVolatile(idleSlots, word, 0L);
            size = 0;
        }
        for (Entry<P> entry : entries)
            ((SlotEntry<P>)entry).terminate();
        return entries;
    }

    @Override
    public int size()
    {
        return size;
    }

    @Override
    public int getMaxSize()
    {
        return maxSize;
    }

    @Override
    public Stream<Entry<P>> stream()
    {
        return IntStream.range(0, maxSize)
            .mapToObj(slots::get)
            .filter(Objects::nonNull)
            .<Entry<P>>map(Slot::get)
            .filter(Objects::nonNull);
    }

    /**
     * @return how many entries were collected without having been released or removed
     */
    public long getLeaked()
    {
        return leaked.longValue();
    }

    @Override
    public String toString()
    {
        return String.format("%s@%x[inUse=%d,size=%d,max=%d,leaked=%d,terminated=%b]",
            getClass().getSimpleName(), hashCode(), getInUseCount(), size(), maxSize, getLeaked(), terminated);
    }

    /**
     * The pool's reference to the entry in one slot: weak, and strong as well while the entry is
     * idle, when nothing else holds it (as Jetty's pool holds its entries).
     */
    private static final class Slot<P> extends WeakReference<SlotEntry<P>>
    {
        private final int index;
        private volatile SlotEntry<P> whileIdle;

        private Slot(SlotEntry<P> entry, int index, ReferenceQueue<SlotEntry<P>> queue)
        {
            super(entry, queue);
            this.index = index;
        }
    }

    private static final class SlotEntry<E> implements Entry<E>
    {
        private final AtomicBiInteger state = new AtomicBiInteger(AVAILABLE, RESERVED);
        private final FirstIdlePool<E> pool;
        private final Slot<E> slot;
        // Written once before the state leaves RESERVED; readers check the state first.
        private E pooled;

        private SlotEntry(FirstIdlePool<E> pool, int index)
        {
            this.pool = pool;
            this.slot = new Slot<>(this, index, pool.collected);
        }

        @Override
        public boolean enable(E pooled, boolean acquire)
        {
            Objects.requireNonNull(pooled);
            if (!isReserved())
            {
                if (isTerminated())
                    return false;
                throw new IllegalStateException("Entry already enabled " + this + " for " + pool);
            }
            this.pooled = pooled;
            if (state.compareAndSet(AVAILABLE, AVAILABLE, RESERVED, acquire ? IN_USE : IDLE))
            {
                if (!acquire)
                    becameIdle();
                return true;
            }
            this.pooled = null;
            if (isTerminated())
                return false;
            throw new IllegalStateException("Entry already enabled " + this + " for " + pool);
        }

        private void becameIdle()
        {
            slot.whileIdle = this;
            pool.markIdle(slot.index);
        }

        private boolean tryAcquire()
        {
            if (!state.compareAndSet(AVAILABLE, AVAILABLE, IDLE, IN_USE))
                return false;
            slot.whileIdle = null;
            return true;
        }

        @Override
        public E getPooled()
        {
            return pooled;
        }

        /**
         * @return true if the entry is idle again; false if it was not in use or is terminated or
         * removed, and the holder should remove it
         */
        @Override
        public boolean release()
        {
            if (!state.compareAndSet(AVAILABLE, AVAILABLE, IN_USE, IDLE))
                return false;
            becameIdle();
            return true;
        }

        /**
         * @return true the first time, when the entry leaves the pool (in use or not: one holder)
         */
        @Override
        public boolean remove()
        {
            while (true)
            {
                long encoded = state.get();
                if (AtomicBiInteger.getHi(encoded) == REMOVED)
                    return false;
                int use = AtomicBiInteger.getLo(encoded);
                if (state.compareAndSet(encoded, REMOVED, use == IN_USE ? IDLE : use))
                    break;
            }
            slot.whileIdle = null;
            pool.free(this);
            return true;
        }

        private void terminate()
        {
            while (true)
            {
                long encoded = state.get();
                if (AtomicBiInteger.getHi(encoded) < 0)
                    return;
                if (state.compareAndSet(encoded, TERMINATED, AtomicBiInteger.getLo(encoded)))
                    return;
            }
        }

        @Override
        public boolean isReserved()
        {
            return state.getLo() == RESERVED;
        }

        @Override
        public boolean isIdle()
        {
            return state.getLo() == IDLE;
        }

        @Override
        public boolean isInUse()
        {
            return state.getLo() == IN_USE;
        }

        @Override
        public boolean isTerminated()
        {
            return state.getHi() < 0;
        }

        @Override
        public String toString()
        {
            long encoded = state.get();
            return String.format("%s@%x{slot=%d,terminated=%b,inUse=%b,pooled=%s}", getClass().getSimpleName(), hashCode(),
                slot.index, AtomicBiInteger.getHi(encoded) < 0, AtomicBiInteger.getLo(encoded) == IN_USE, pooled);
        }
    }
}
