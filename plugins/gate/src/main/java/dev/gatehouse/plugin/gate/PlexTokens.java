package dev.gatehouse.plugin.gate;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

import dev.gatehouse.spi.Upstream;
import dev.gatehouse.spi.UpstreamCustomizer;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the upstream Plex accepts an {@code X-Plex-Token}: asked once with a {@code GET} of the
 * check path (default {@code /}, which Plex answers only with a valid token; {@code /identity}
 * answers everyone) through the route's own proxy {@link HttpClient}, asynchronously, then
 * remembered by SHA-256: accepted tokens for the cache TTL, refused tokens and failed checks for
 * the negative TTL. Checks of unknown tokens are rate limited (a token bucket refilled per
 * minute), so a flood of invented tokens costs the upstream at most that many requests; over the
 * limit a token counts as refused, without being cached. Concurrent checks of one token share
 * one request.
 */
final class PlexTokens implements UpstreamCustomizer
{
    private static final Logger LOG = LoggerFactory.getLogger(PlexTokens.class);
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._~-]{8,256}");

    private final String checkPath;
    private final long ttlNanos;
    private final long negativeTtlNanos;
    private final long timeoutMillis;
    private final int perMinute;
    private final int maxEntries;
    private final LongSupplier nanoClock;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Boolean>> pending = new ConcurrentHashMap<>();
    private volatile HttpClient client;
    private volatile Upstream upstream;
    private double permits;
    private long lastRefill;

    private record Entry(boolean accepted, long expiresAtNanos)
    {
    }

    PlexTokens(GateConfig config, LongSupplier nanoClock)
    {
        this.checkPath = config.getPlexTokenCheckPath();
        this.ttlNanos = config.getPlexTokenCacheTtl().toNanos();
        this.negativeTtlNanos = config.getPlexTokenNegativeTtl().toNanos();
        this.timeoutMillis = config.getHttpTimeout().toMillis();
        this.perMinute = config.getPlexTokenChecksPerMinute();
        this.maxEntries = config.getPlexTokenCacheEntries();
        this.nanoClock = nanoClock;
        this.permits = perMinute;
        this.lastRefill = nanoClock.getAsLong();
    }

    /**
     * The default route's client and upstream: the check goes exactly where the proxy sends the
     * request, with the same TLS settings.
     */
    @Override
    public void customizeClient(Upstream upstream, HttpClient client)
    {
        if (this.client == null || "default".equals(upstream.routeName()))
        {
            this.upstream = upstream;
            this.client = client;
        }
    }

    static boolean plausible(String token)
    {
        return token != null && TOKEN.matcher(token).matches();
    }

    /**
     * @return the cached answer, or null when the upstream must be asked
     */
    Boolean cached(String token)
    {
        Entry entry = cache.get(TokenVerifier.sha256(token));
        if (entry == null)
            return null;
        if (nanoClock.getAsLong() - entry.expiresAtNanos() > 0)
        {
            cache.remove(TokenVerifier.sha256(token), entry);
            return null;
        }
        return entry.accepted();
    }

    /**
     * Asks the upstream, never blocking: the future completes on a client thread.
     */
    CompletableFuture<Boolean> check(String token)
    {
        Boolean known = cached(token);
        if (known != null)
            return CompletableFuture.completedFuture(known);
        String key = TokenVerifier.sha256(token);
        CompletableFuture<Boolean> created = new CompletableFuture<>();
        CompletableFuture<Boolean> existing = pending.putIfAbsent(key, created);
        if (existing != null)
            return existing;
        HttpClient current = client;
        Upstream target = upstream;
        if (current == null || target == null || !acquire())
        {
            LOG.debug("gate: Plex-token check {}", current == null ? "impossible (no upstream client)" : "over the rate limit");
            pending.remove(key, created);
            created.complete(false);
            return created;
        }
        URI uri = target.uri().resolve(checkPath);
        try
        {
            current.newRequest(uri)
                .method(HttpMethod.GET)
                .headers(headers -> headers.put("X-Plex-Token", token).put(HttpHeader.ACCEPT, "application/json"))
                .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .send(result ->
                {
                    boolean accepted = result.isSucceeded() && result.getResponse().getStatus() == 200;
                    if (!result.isSucceeded())
                        LOG.debug("gate: Plex-token check failed: {}", String.valueOf(result.getFailure()));
                    store(key, accepted);
                    pending.remove(key, created);
                    created.complete(accepted);
                });
        }
        catch (RuntimeException e)
        {
            store(key, false);
            pending.remove(key, created);
            created.complete(false);
        }
        return created;
    }

    private void store(String key, boolean accepted)
    {
        if (cache.size() >= maxEntries)
        {
            long now = nanoClock.getAsLong();
            cache.values().removeIf(entry -> now - entry.expiresAtNanos() > 0);
            if (cache.size() >= maxEntries)
                cache.clear();
        }
        cache.put(key, new Entry(accepted, nanoClock.getAsLong() + (accepted ? ttlNanos : negativeTtlNanos)));
    }

    private synchronized boolean acquire()
    {
        long now = nanoClock.getAsLong();
        permits = Math.min(perMinute, permits + (now - lastRefill) * perMinute / 60e9);
        lastRefill = now;
        if (permits < 1)
            return false;
        permits -= 1;
        return true;
    }
}
