package dev.gatehouse.websocket;

import java.net.URI;
import java.util.List;

import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInWebSocketUpstream;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.client.WebSocketCoreClient;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first frames after an RFC 8441 (HTTP/2) WebSocket upgrade arrive, on both sides of Gatehouse,
 * even when they reach Jetty's HTTP/2 client before it finished processing the handshake response
 * (see {@link dev.gatehouse.core.websocket.TunnelResponseContent}: without it, that client reads the
 * first DATA frame as response content and drops it). The upstream's {@code /flood} speaks first,
 * as soon as it is open, and the sockets count and check every byte.
 */
class Http2FirstFrameTest
{
    private static final long FLOOD = 4 * 64 * 1024;

    private static WebSocketCoreClient webSocketClient(org.eclipse.jetty.client.HttpClient http) throws Exception
    {
        WebSocketCoreClient client = new WebSocketCoreClient(http, null);
        client.start();
        return client;
    }

    private static void assertWholeFlood(TestWebSocket socket) throws Exception
    {
        CloseStatus closed = socket.awaitClosed();
        assertEquals(FLOOD, socket.bytesReceived.get(), "bytes received; closed with " + closed);
        assertTrue(socket.patternIntact, "the flood arrived altered");
        assertEquals(CloseStatus.NORMAL, closed.getCode(), "closed with " + closed);
    }

    /**
     * A slow HTTP/2 client (the test's own Jetty client): Gatehouse relays the upstream's first frames
     * as soon as the client's upgrade is committed, before that client is done with the 200.
     */
    @Test
    void aSlowHttp2ClientGetsTheFirstFramesGatehouseRelays() throws Exception
    {
        try (StandInWebSocketUpstream upstream = StandInWebSocketUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder().upstream(upstream.uri()).start())
        {
            WebSocketCoreClient client = webSocketClient(gatehouse.http2());
            URI uri = URI.create("wss://127.0.0.1:" + gatehouse.httpsPort() + "/flood/" + FLOOD);
            TestWebSocket socket = TestWebSocket.connect(client, uri, List.of(), null, true, true, 500);
            assertWholeFlood(socket);
            client.stop();
        }
    }

    /**
     * An HTTP/2 upstream (route protocol http2) that speaks first: Gatehouse's own upstream client
     * must not lose its first frames while it upgrades the client.
     */
    @Test
    void anHttp2UpstreamThatSpeaksFirstLosesNothing() throws Exception
    {
        try (StandInWebSocketUpstream upstream = StandInWebSocketUpstream.plainHttp2();
             GatehouseHarness gatehouse = GatehouseHarness.builder().upstream(upstream.uri())
                 .property("gatehouse.upstream.protocol", "http2")
                 .start())
        {
            WebSocketCoreClient client = webSocketClient(gatehouse.http1());
            for (int i = 0; i < 20; i++)
            {
                URI uri = URI.create("wss://127.0.0.1:" + gatehouse.httpsPort() + "/flood/" + FLOOD);
                TestWebSocket socket = TestWebSocket.connect(client, uri, List.of(), null, true);
                assertWholeFlood(socket);
                assertEquals("HTTP/2.0", upstream.upgrades().get(i).protocol());
            }
            client.stop();
        }
    }
}
