package dev.gatehouse.proxy;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.Slot;
import dev.gatehouse.spi.Upstream;
import dev.gatehouse.spi.UpstreamCustomizer;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestCertificates;
import dev.gatehouse.testkit.TestPlugin;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a client sees when the upstream fails: a bare status, quickly, and nothing internal.
 */
class ProxyFaultsTest
{
    @TempDir
    Path temporary;

    @Test
    void upstreamDownIsA502AtOnceNotAfterATimeout() throws Exception
    {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0))
        {
            closedPort = socket.getLocalPort();
        }
        // A 10 s connect timeout: an answer well before it shows the refusal itself produced the 502.
        try (GatehouseHarness gatehouse = GatehouseHarness.builder()
            .property("gatehouse.upstream", "http://127.0.0.1:" + closedPort)
            .property("gatehouse.upstream.connect-timeout", "10s")
            .start())
        {
            for (var client : new org.eclipse.jetty.client.HttpClient[]{gatehouse.http1(), gatehouse.http2()})
            {
                long start = System.nanoTime();
                ContentResponse response = client.newRequest(gatehouse.uri("/library/sections")).timeout(10, TimeUnit.SECONDS).send();
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(502, response.getStatus());
                assertEquals("502 Bad Gateway\n", response.getContentAsString());
                // Typically a few milliseconds; the bound is loose because CI machines are loaded.
                assertTrue(millis < 3000, "took " + millis + " ms");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"conscrypt", "jdk"})
    void upstreamWithAnUntrustedCertificateIsA502(String tlsProvider) throws Exception
    {
        TestCertificates.Authority trusted = TestCertificates.newAuthority("Trusted CA");
        TestCertificates.Authority other = TestCertificates.newAuthority("Other CA");
        try (StandInUpstream upstream = StandInUpstream.tls(other.issue("127.0.0.1", "127.0.0.1"), false);
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.upstream.trust-store", trusted.writePem(temporary.resolve("ca.pem")).toString())
                 .property("gatehouse.upstream.tls-provider", tlsProvider)
                 .start())
        {
            ContentResponse response = gatehouse.http1().newRequest(gatehouse.uri("/")).timeout(10, TimeUnit.SECONDS).send();
            assertEquals(502, response.getStatus());
            assertFalse(response.getContentAsString().contains("127.0.0.1"));
            assertFalse(response.getContentAsString().contains("Exception"));
            assertTrue(upstream.requests().isEmpty());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"conscrypt", "jdk"})
    void upstreamWithACertificateForAnotherNameIsA502(String tlsProvider) throws Exception
    {
        TestCertificates.Authority ca = TestCertificates.newAuthority("Test CA");
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("other.test", "other.test"), false);
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.upstream.trust-store", ca.writePem(temporary.resolve("ca.pem")).toString())
                 .property("gatehouse.upstream.tls-provider", tlsProvider)
                 .start())
        {
            assertEquals(502, gatehouse.http2().newRequest(gatehouse.uri("/")).timeout(10, TimeUnit.SECONDS).send().getStatus());
        }
    }

    @Test
    void upstreamSilentPastTheResponseTimeoutIsA504AtThatTimeout() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.upstream.response-timeout", "1s")
                 .start())
        {
            long start = System.nanoTime();
            ContentResponse response = gatehouse.http1().newRequest(gatehouse.uri("/stall/5000")).timeout(20, TimeUnit.SECONDS).send();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(504, response.getStatus());
            assertEquals("504 Gateway Timeout\n", response.getContentAsString());
            assertTrue(millis >= 900 && millis < 4000, "took " + millis + " ms for a 1 s timeout");

            // An upstream that answers within the timeout is not cut, on the same connection pool.
            assertEquals(200, gatehouse.http1().newRequest(gatehouse.uri("/stall/200")).timeout(20, TimeUnit.SECONDS).send().getStatus());
        }
    }

    @Test
    void aRequestOnAReusedConnectionGetsItsOwnDeadline() throws Exception
    {
        // One upstream connection: a quick request leaves the connection's timer a wake-up at its
        // deadline; a stalled request sent 600 ms later is answered 504 a timeout after its own
        // start, not at that wake-up.
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.upstream.response-timeout", "1s")
                 .start())
        {
            HttpClient client = gatehouse.http1();
            assertEquals(200, client.newRequest(gatehouse.uri("/stall/10")).timeout(20, TimeUnit.SECONDS).send().getStatus());
            Thread.sleep(600);
            long start = System.nanoTime();
            ContentResponse response = client.newRequest(gatehouse.uri("/stall/5000")).timeout(20, TimeUnit.SECONDS).send();
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(504, response.getStatus());
            assertTrue(millis >= 900 && millis < 4000, "took " + millis + " ms for a 1 s timeout");
            assertEquals(1, connectionsUsed(upstream), "upstream connections used");
        }
    }

    @Test
    void theResponseTimeoutAsksTheSchedulerForAboutOneWakeUpPerConnectionNotOnePerRequest() throws Exception
    {
        // A task per request costs the scheduler's lock and, whenever its queue is empty (one
        // client at a time), a wake-up of its thread.
        AtomicInteger scheduled = new AtomicInteger();
        UpstreamCustomizer countingScheduler = new UpstreamCustomizer()
        {
            @Override
            public void customizeClient(Upstream upstream, HttpClient client)
            {
                client.setScheduler(new ScheduledExecutorScheduler("counting-scheduler", false)
                {
                    @Override
                    public Task schedule(Runnable task, long delay, TimeUnit unit)
                    {
                        scheduled.incrementAndGet();
                        return super.schedule(task, delay, unit);
                    }
                });
            }
        };
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .plugin(TestPlugin.of("counting-scheduler", Slot.USER, binder -> Contributions.upstreamCustomizers(binder).addBinding().toInstance(countingScheduler)))
                 .start())
        {
            HttpClient client = gatehouse.http1();
            assertEquals(200, client.newRequest(gatehouse.uri("/stall/10")).timeout(20, TimeUnit.SECONDS).send().getStatus());
            int afterTheFirst = scheduled.get();
            for (int i = 0; i < 30; i++)
                assertEquals(200, client.newRequest(gatehouse.uri("/stall/1")).timeout(20, TimeUnit.SECONDS).send().getStatus());
            assertEquals(1, connectionsUsed(upstream), "upstream connections used");
            assertTrue(scheduled.get() - afterTheFirst < 3, (scheduled.get() - afterTheFirst) + " scheduler tasks for 30 requests on one connection");
        }
    }

    private static long connectionsUsed(StandInUpstream upstream)
    {
        return upstream.requests().stream().map(StandInUpstream.RecordedRequest::connection).distinct().count();
    }

    @Test
    void concurrentRequestsEachGetTheirOwnDeadline() throws Exception
    {
        // Requests sent 400 ms apart, each past the timeout, each answered 504 a timeout after
        // its own start, while quick ones beside them are not cut.
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.upstream.response-timeout", "1s")
                 .start())
        {
            HttpClient client = gatehouse.http2();
            List<CompletableFuture<Long>> stalled = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                long start = System.nanoTime();
                CompletableFuture<Long> answered = new CompletableFuture<>();
                client.newRequest(gatehouse.uri("/stall/6000")).timeout(20, TimeUnit.SECONDS).send(result ->
                {
                    if (result.getResponse().getStatus() == 504)
                        answered.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                    else
                        answered.completeExceptionally(new AssertionError("status " + result.getResponse().getStatus(), result.getFailure()));
                });
                stalled.add(answered);
                Thread.sleep(400);
            }
            List<CompletableFuture<Integer>> quick = new ArrayList<>();
            for (int i = 0; i < 20; i++)
            {
                CompletableFuture<Integer> answered = new CompletableFuture<>();
                client.newRequest(gatehouse.uri("/stall/100")).timeout(20, TimeUnit.SECONDS).send(result -> answered.complete(result.getResponse().getStatus()));
                quick.add(answered);
            }
            for (CompletableFuture<Long> answered : stalled)
            {
                long millis = answered.get(20, TimeUnit.SECONDS);
                assertTrue(millis >= 900 && millis < 3000, "504 after " + millis + " ms for a 1 s timeout");
            }
            for (CompletableFuture<Integer> answered : quick)
                assertEquals(200, answered.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void aResponseThatStartedIsNotCutByTheResponseTimeout() throws Exception
    {
        // The response-start timer stops at the first byte of the response: a slow stream that
        // outlives it (a paused player, an SSE stream) is governed by the idle timeouts only.
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .property("gatehouse.upstream.response-timeout", "1s")
                 .start())
        {
            upstream.handler(new SlowStreamHandler(5, 400));
            ContentResponse response = gatehouse.http2().newRequest(gatehouse.uri("/slow")).timeout(20, TimeUnit.SECONDS).send();
            assertEquals(200, response.getStatus());
            assertEquals("tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n", response.getContentAsString());
        }
    }
}
