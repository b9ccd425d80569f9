package dev.gatehouse.proxy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import dev.gatehouse.core.proxy.FirstIdleConnectionPool;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestAuthority;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ConnectionPool;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.MultiplexConnectionPool;
import org.eclipse.jetty.client.transport.HttpDestination;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The upstream connection pool over real TLS: an HTTP/1.1 route's connections are found in a
 * bitmap of idle slots (FirstIdleConnectionPool), are reused for keep-alive and never exceed
 * {@code gatehouse.upstream.max-connections}, however many requests wait; an h2 route keeps Jetty's
 * multiplexing pool.
 */
class UpstreamConnectionPoolTest
{
    @RegisterExtension
    static final TestAuthority ca = new TestAuthority("Upstream Pool Test CA");

    @Test
    void anHttp1RouteSharesAtMostItsMaximumOfConnectionsAndReusesThem() throws Exception
    {
        try (StandInUpstream upstream = upstream(false);
             GatehouseHarness gatehouse = trusting(upstream)
                 .property("gatehouse.upstream.max-connections", "4")
                 .start())
        {
            // Twelve requests that each hold their upstream connection for 300 ms.
            List<CompletableFuture<ContentResponse>> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++)
                answers.add(new CompletableResponseListener(gatehouse.http1().newRequest(gatehouse.uri("/stall/300")).timeout(20, TimeUnit.SECONDS)).send());
            for (CompletableFuture<ContentResponse> answer : answers)
                assertEquals(200, answer.get(30, TimeUnit.SECONDS).getStatus());
            Set<String> burst = upstreamConnections(upstream);
            assertEquals(4, burst.size(), "upstream connections for 12 waiting requests: " + burst);

            FirstIdleConnectionPool pool = assertInstanceOf(FirstIdleConnectionPool.class, upstreamPool(gatehouse));
            int before = upstream.requests().size();
            for (int i = 0; i < 5; i++)
            {
                awaitIdle(pool, 4);
                assertEquals(200, gatehouse.http1().newRequest(gatehouse.uri("/one-at-a-time/" + i)).timeout(10, TimeUnit.SECONDS).send().getStatus());
            }
            Set<String> sequential = upstream.requests().subList(before, before + 5).stream().map(StandInUpstream.RecordedRequest::connection).collect(Collectors.toSet());
            assertEquals(1, sequential.size(), "one kept-alive connection for one request at a time: " + sequential);
            assertTrue(burst.containsAll(sequential), "a pooled connection was reused: " + sequential + " of " + burst);

            assertEquals(4, pool.getConnectionCount(), pool.dump());
            awaitIdle(pool, 4);
            assertEquals(4, pool.getIdleConnectionCount(), pool.dump());
        }
    }

    /**
     * A connection that reaches its idle timeout leaves the pool (its slot freed, not left behind)
     * and the next request opens a new one; three rounds over a pool of one connection would
     * find the pool full if a closed connection kept its slot.
     */
    @Test
    void anIdleConnectionThatTimesOutLeavesThePoolAndTheNextRequestOpensAnother() throws Exception
    {
        try (StandInUpstream upstream = upstream(false);
             GatehouseHarness gatehouse = trusting(upstream)
                 .property("gatehouse.upstream.max-connections", "1")
                 .property("gatehouse.upstream.idle-timeout", "1s")
                 .start())
        {
            for (int round = 0; round < 3; round++)
            {
                assertEquals(200, gatehouse.http1().newRequest(gatehouse.uri("/round/" + round)).timeout(10, TimeUnit.SECONDS).send().getStatus());
                FirstIdleConnectionPool pool = (FirstIdleConnectionPool)upstreamPool(gatehouse);
                assertEquals(1, pool.getConnectionCount());
                for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); pool.getConnectionCount() > 0 && System.nanoTime() < deadline; )
                    Thread.sleep(50);
                assertEquals(0, pool.getConnectionCount(), "the idle connection left the pool in round " + round);
            }
            assertEquals(3, upstreamConnections(upstream).size(), "a new upstream connection per round");
        }
    }

    /**
     * Connections that the upstream closes while others are handed out and given back leave the
     * pool and make room for new ones, with requests waiting all the while: 240 requests from 8
     * clients at once over at most 3 connections, every fourth response closing its connection
     * (as an upstream's keep-alive request limit does). None fails, no more than 3 connections are
     * open at once, and the pool ends with its connections idle.
     */
    @Test
    void connectionsTheUpstreamClosesUnderLoadMakeRoomForNewOnes() throws Exception
    {
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger mostInFlight = new AtomicInteger();
        try (StandInUpstream upstream = upstream(false).handler(new Handler.Abstract()
             {
                 @Override
                 public boolean handle(Request request, Response response, Callback callback)
                 {
                     mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                     if (answered.incrementAndGet() % 4 == 0)
                         response.getHeaders().put(HttpHeader.CONNECTION, "close");
                     // Held a little, so that requests wait for connections.
                     LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                     inFlight.decrementAndGet();
                     Content.Sink.write(response, true, "answer", callback);
                     return true;
                 }
             });
             GatehouseHarness gatehouse = trusting(upstream)
                 .property("gatehouse.upstream.max-connections", "3")
                 .start())
        {
            List<HttpClient> clients = new ArrayList<>();
            for (int i = 0; i < 8; i++)
                clients.add(gatehouse.http1());
            List<CompletableFuture<ContentResponse>> answers = new ArrayList<>();
            for (int i = 0; i < 240; i++)
                answers.add(new CompletableResponseListener(clients.get(i % clients.size()).newRequest(gatehouse.uri("/churn/" + i)).timeout(30, TimeUnit.SECONDS)).send());
            for (CompletableFuture<ContentResponse> answer : answers)
            {
                ContentResponse response = answer.get(60, TimeUnit.SECONDS);
                assertEquals(200, response.getStatus());
                assertEquals("answer", response.getContentAsString());
            }

            assertEquals(240, answered.get());
            assertTrue(mostInFlight.get() <= 3, "requests at the upstream at once: " + mostInFlight.get());
            assertTrue(upstreamConnections(upstream).size() >= 60, "every fourth response closed its connection: " + upstreamConnections(upstream).size());
            FirstIdleConnectionPool pool = assertInstanceOf(FirstIdleConnectionPool.class, upstreamPool(gatehouse));
            assertTrue(pool.getConnectionCount() <= 3, pool.dump());
            awaitIdle(pool, pool.getConnectionCount());
            assertEquals(pool.getConnectionCount(), pool.getIdleConnectionCount(), pool.dump());
            for (HttpClient client : clients)
                client.stop();
        }
    }

    @Test
    void anHttp2RouteKeepsJettysMultiplexingPool() throws Exception
    {
        try (StandInUpstream upstream = upstream(true);
             GatehouseHarness gatehouse = trusting(upstream)
                 .property("gatehouse.upstream.protocol", "http2")
                 .start())
        {
            assertEquals(200, gatehouse.http1().newRequest(gatehouse.uri("/")).timeout(10, TimeUnit.SECONDS).send().getStatus());
            assertEquals("HTTP/2.0", upstream.lastRequest().protocol());
            assertInstanceOf(MultiplexConnectionPool.class, upstreamPool(gatehouse));
        }
    }

    private static StandInUpstream upstream(boolean http2) throws Exception
    {
        return StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), http2);
    }

    /** A Gatehouse in front of the upstream that trusts its test CA. */
    private static GatehouseHarness.Builder trusting(StandInUpstream upstream)
    {
        return GatehouseHarness.builder()
            .upstream(upstream.uri())
            .property("gatehouse.upstream.trust-store", ca.pem().toString());
    }

    /**
     * Waits (boundedly) for the connections to be back in the pool: the client can have a response
     * before the proxy's upstream exchange has ended and released its connection.
     */
    private static void awaitIdle(FirstIdleConnectionPool pool, int idle) throws InterruptedException
    {
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); pool.getIdleConnectionCount() < idle && System.nanoTime() < deadline; )
            Thread.sleep(10);
    }

    private static Set<String> upstreamConnections(StandInUpstream upstream)
    {
        return upstream.requests().stream().map(StandInUpstream.RecordedRequest::connection).collect(Collectors.toSet());
    }

    private static ConnectionPool upstreamPool(GatehouseHarness gatehouse)
    {
        List<ConnectionPool> pools = gatehouse.gatehouse().defaultProxy().getHttpClient().getDestinations().stream()
            .map(destination -> ((HttpDestination)destination).getConnectionPool()).toList();
        assertEquals(1, pools.size(), "one upstream destination");
        return pools.get(0);
    }
}
