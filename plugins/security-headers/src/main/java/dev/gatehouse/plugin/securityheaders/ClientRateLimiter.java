package dev.gatehouse.plugin.securityheaders;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A token bucket per client address: {@code burst} tokens, refilled at {@code perMinute}. The map
 * of buckets is bounded; the least recently seen address is forgotten first, which at worst gives
 * a forgotten client a fresh burst.
 */
final class ClientRateLimiter
{
    static final int MAX_CLIENTS = 10_000;

    private final double tokensPerNano;
    private final int burst;
    private final LongSupplier nanoClock;
    private final Map<String, Bucket> buckets = new LinkedHashMap<>(64, 0.75f, true)
    {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest)
        {
            return size() > MAX_CLIENTS;
        }
    };

    ClientRateLimiter(int perMinute, int burst, LongSupplier nanoClock)
    {
        this.tokensPerNano = perMinute / 60e9;
        this.burst = burst;
        this.nanoClock = nanoClock;
    }

    /**
     * @return whether the client may send one more report now
     */
    boolean tryAcquire(String client)
    {
        long now = nanoClock.getAsLong();
        synchronized (buckets)
        {
            Bucket bucket = buckets.computeIfAbsent(client, key -> new Bucket(burst, now));
            bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.updated) * tokensPerNano);
            bucket.updated = now;
            if (bucket.tokens < 1)
                return false;
            bucket.tokens -= 1;
            return true;
        }
    }

    int trackedClients()
    {
        synchronized (buckets)
        {
            return buckets.size();
        }
    }

    private static final class Bucket
    {
        double tokens;
        long updated;

        Bucket(double tokens, long updated)
        {
            this.tokens = tokens;
            this.updated = updated;
        }
    }
}
