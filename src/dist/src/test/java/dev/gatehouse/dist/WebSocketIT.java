package dev.gatehouse.dist;

import java.io.InputStream;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import dev.gatehouse.testkit.StandInWebSocketUpstream;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The WebSocket bridge wired by the gatehouse module (websocket-core-server and -client on the
 * server class path), exercised with the JDK's own WebSocket client over verified TLS.
 */
class WebSocketIT
{
    @Test
    void aWebSocketEchoesThroughTheDistribution() throws Exception
    {
        try (StandInWebSocketUpstream upstream = StandInWebSocketUpstream.plain();
             Distribution distribution = Distribution.fromTarball())
        {
            int port = Distribution.freePort();
            distribution.start(List.of(), "jetty.ssl.port=" + port, "gatehouse.upstream=" + upstream.uri());

            // Trust exactly the certificate this base generated on its first start.
            KeyStore generated = KeyStore.getInstance("PKCS12");
            try (InputStream input = Files.newInputStream(distribution.base().resolve("etc/gatehouse/self-signed-localhost.p12")))
            {
                generated.load(input, "gatehouse-self-signed".toCharArray());
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(generated);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(tls).build();

            CompletableFuture<String> echoed = new CompletableFuture<>();
            CompletableFuture<Integer> closed = new CompletableFuture<>();
            WebSocket socket = client.newWebSocketBuilder()
                .subprotocols("plex-proto")
                .buildAsync(URI.create("wss://localhost:" + port + "/:/websockets/notifications"), new WebSocket.Listener()
                {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last)
                    {
                        text.append(data);
                        if (last)
                            echoed.complete(text.toString());
                        webSocket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason)
                    {
                        closed.complete(statusCode);
                        return null;
                    }
                })
                .get(20, TimeUnit.SECONDS);
            assertEquals("plex-proto", socket.getSubprotocol());
            socket.sendText("{\"NotificationContainer\":{\"type\":\"playing\"}}", true).get(10, TimeUnit.SECONDS);
            assertEquals("{\"NotificationContainer\":{\"type\":\"playing\"}}", echoed.get(10, TimeUnit.SECONDS));
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
            assertEquals(WebSocket.NORMAL_CLOSURE, closed.get(10, TimeUnit.SECONDS));
            assertEquals("/:/websockets/notifications", upstream.upgrades().get(0).pathQuery());
        }
    }
}
