package dev.gatehouse.websocket;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.client.AbstractConnectorHttpClientTransport;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Server-sent events through the HTTP proxy (Plex's {@code /:/eventsource/notifications}): each
 * event reaches the client when the upstream sends it, not when more bytes pile up, and the stream
 * survives a quiet gap longer than the response-start timeout (60 s) and than two minutes.
 *
 * <p>This test takes over two minutes on purpose: the gap is the point.</p>
 */
class ServerSentEventsTest
{
    private static final String PATH = "/:/eventsource/notifications?filters=activity";

    /**
     * One open event stream at the upstream, written by the test.
     */
    private record UpstreamStream(Response response, Callback callback)
    {
        void emit(String data) throws Exception
        {
            FutureCallback written = new FutureCallback();
            Content.Sink.write(response, false, "event: activity\ndata: " + data + "\n\n", written);
            written.get(10, TimeUnit.SECONDS);
        }

        void end()
        {
            response.write(true, BufferUtil.EMPTY_BUFFER, callback);
        }
    }

    /**
     * An event as the client saw it.
     */
    private record Arrival(String data, long nanoTime)
    {
    }

    /**
     * A client of one stream: parses {@code data:} lines as bytes arrive.
     */
    private static final class EventClient
    {
        final BlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
        final CompletableFuture<Result> done = new CompletableFuture<>();
        final StringBuilder text = new StringBuilder();
        volatile String contentType;

        EventClient(HttpClient client, java.net.URI uri)
        {
            // This client's own idle timeouts (30 s by default) must not end the stream during the gap.
            client.setIdleTimeout(TimeUnit.MINUTES.toMillis(5));
            ((AbstractConnectorHttpClientTransport)client.getTransport()).getClientConnector().setIdleTimeout(Duration.ofMinutes(5));
            client.newRequest(uri)
                .idleTimeout(5, TimeUnit.MINUTES)
                .headers(headers -> headers.put(HttpHeader.ACCEPT, "text/event-stream"))
                .onResponseHeaders(response -> contentType = response.getHeaders().get(HttpHeader.CONTENT_TYPE))
                .onResponseContentAsync((response, chunk, demander) ->
                {
                    long now = System.nanoTime();
                    text.append(StandardCharsets.UTF_8.decode(chunk.getByteBuffer().slice()));
                    int end;
                    while ((end = text.indexOf("\n\n")) >= 0)
                    {
                        for (String line : text.substring(0, end).split("\n"))
                        {
                            if (line.startsWith("data: "))
                                arrivals.add(new Arrival(line.substring("data: ".length()), now));
                        }
                        text.delete(0, end + 2);
                    }
                    demander.run();
                })
                .send(done::complete);
        }

        Arrival next() throws InterruptedException
        {
            return arrivals.poll(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void eventsArriveAsSentAndSurviveATwoMinuteGap() throws Exception
    {
        BlockingQueue<UpstreamStream> streams = new LinkedBlockingQueue<>();
        try (StandInUpstream upstream = StandInUpstream.plain().handler(new Handler.Abstract.NonBlocking()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                if (!Request.getPathInContext(request).equals("/:/eventsource/notifications"))
                    return false;
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
                // Commit the headers now; events follow when the test writes them.
                response.write(false, BufferUtil.EMPTY_BUFFER, Callback.from(() -> streams.add(new UpstreamStream(response, callback)), callback::failed));
                return true;
            }
        });
             GatehouseHarness gatehouse = GatehouseHarness.builder().upstream(upstream.uri()).start())
        {
            List<EventClient> clients = List.of(new EventClient(gatehouse.http1(), gatehouse.uri(PATH)), new EventClient(gatehouse.http2(), gatehouse.uri(PATH)));
            List<UpstreamStream> open = new ArrayList<>();
            for (int i = 0; i < clients.size(); i++)
            {
                UpstreamStream stream = streams.poll(10, TimeUnit.SECONDS);
                assertNotNull(stream, "the upstream did not get both streams");
                open.add(stream);
            }

            List<Long> latenciesMicros = new ArrayList<>();
            for (int event = 1; event <= 5; event++)
            {
                long sentAt = System.nanoTime();
                for (UpstreamStream stream : open)
                    stream.emit("event " + event);
                // Each event must reach each client before the upstream writes anything more:
                // a proxy that buffered would hold this small event back.
                for (EventClient client : clients)
                {
                    Arrival arrival = client.next();
                    assertNotNull(arrival, "event " + event + " was not delivered while nothing followed it");
                    assertEquals("event " + event, arrival.data());
                    latenciesMicros.add((arrival.nanoTime() - sentAt) / 1000);
                }
            }

            // Quiet for longer than two minutes (and than the 60 s response-start timeout).
            Thread.sleep(TimeUnit.SECONDS.toMillis(125));
            for (EventClient client : clients)
                assertFalse(client.done.isDone(), "the stream was cut during the gap: " + client.done.getNow(null));

            long sentAt = System.nanoTime();
            for (UpstreamStream stream : open)
                stream.emit("after the gap");
            for (EventClient client : clients)
            {
                Arrival arrival = client.next();
                assertNotNull(arrival, "the event after the gap was not delivered");
                assertEquals("after the gap", arrival.data());
                latenciesMicros.add((arrival.nanoTime() - sentAt) / 1000);
            }
            System.out.println("SSE delivery latencies (upstream write -> client, microseconds; h1,h2 per event): " + latenciesMicros);

            for (UpstreamStream stream : open)
                stream.end();
            for (EventClient client : clients)
            {
                Result result = client.done.get(10, TimeUnit.SECONDS);
                assertTrue(result.isSucceeded(), String.valueOf(result));
                assertEquals(200, result.getResponse().getStatus());
                assertTrue(client.contentType.startsWith("text/event-stream"), client.contentType);
            }
        }
    }
}
