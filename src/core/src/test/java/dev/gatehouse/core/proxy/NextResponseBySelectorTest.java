package dev.gatehouse.core.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.gatehouse.core.tls.RecordBatchingSslConnectionFactory;
import dev.gatehouse.core.tls.SelfSignedCertificate;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The upstream client's HTTP/1.1 connections (Gatehouse's own, {@link ResponsesOnIoThread#http11()},
 * over {@link RecordBatchingSslConnectionFactory.BatchingClientConnector}'s TLS) against a Jetty server
 * over real TLS on loopback, with the client's sockets watched: after a complete response no read
 * looks for the next one, and the connection still notices everything that arrives while it idles.
 */
class NextResponseBySelectorTest
{
    private static final int REQUESTS = 50;
    private static final byte[] BODY = "x".repeat(1024).getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path directory;

    private final AtomicInteger readsFindingNothing = new AtomicInteger();
    private final AtomicInteger connectionsOpened = new AtomicInteger();
    private final AtomicInteger connectionsClosed = new AtomicInteger();
    private final ArrayByteBufferPool.Tracking clientBuffers = new ArrayByteBufferPool.Tracking();
    private Server upstream;
    private ServerConnector upstreamConnector;
    private HttpClient client;

    @BeforeEach
    void start() throws Exception
    {
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStore(SelfSignedCertificate.loadOrCreate(directory.resolve("upstream.p12")));
        tls.setKeyStorePassword(SelfSignedCertificate.PASSWORD);
        upstream = new Server();
        upstreamConnector = new ServerConnector(upstream, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory());
        upstreamConnector.setHost("127.0.0.1");
        upstream.addConnector(upstreamConnector);
        upstream.setHandler(new Answering());
        upstream.start();

        WatchedConnector connector = new WatchedConnector();
        connector.setSslContextFactory(new SslContextFactory.Client(true));
        connector.setByteBufferPool(clientBuffers);
        client = new HttpClient(new HttpClientTransportDynamic(connector, ResponsesOnIoThread.http11()));
        client.setByteBufferPool(clientBuffers);
        client.setMaxConnectionsPerDestination(1);
        client.start();
    }

    @AfterEach
    void stop() throws Exception
    {
        client.stop();
        upstream.stop();
    }

    @Test
    void noReadLooksForTheNextResponseAndAnIdleConnectionHoldsNoBuffer() throws Exception
    {
        assertEquals(200, get("/first").getStatus());
        readsFindingNothing.set(0);
        for (int i = 0; i < REQUESTS; i++)
        {
            ContentResponse response = get("/" + i);
            assertEquals(200, response.getStatus());
            assertEquals(BODY.length, response.getContent().length);
        }
        // Jetty's receiver reads once more after each response and finds nothing (50 here). A
        // read may also find nothing when a response's bytes arrive in two parts, which a loaded
        // machine does now and then (once in 20 responses in a test suite's run).
        assertTrue(readsFindingNothing.get() < REQUESTS / 10, "reads that found nothing over " + REQUESTS + " responses: " + readsFindingNothing.get());
        assertEquals(1, connectionsOpened.get());
        // Idle in the pool: no network buffer held for a next response.
        assertEquals(0, clientBuffers.getLeaks().size(), clientBuffers.dumpLeaks());
    }

    @Test
    void anUpstreamClosingAnIdleConnectionIsNoticedAtOnce() throws Exception
    {
        upstreamConnector.setIdleTimeout(300);
        assertEquals(200, get("/before").getStatus());
        // The upstream closes the idle connection after 300 ms; the client's read interest is
        // what finds the end of stream (nothing reads otherwise until the next request).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (connectionsClosed.get() == 0 && System.nanoTime() < deadline)
            Thread.sleep(20);
        assertEquals(1, connectionsClosed.get());
        assertEquals(200, get("/after").getStatus());
        assertEquals(2, connectionsOpened.get());
    }

    @Test
    void interimResponsesAreFollowedByTheirFinalResponse() throws Exception
    {
        for (int i = 0; i < 5; i++)
        {
            ContentResponse response = get("/early-hints/" + i);
            assertEquals(200, response.getStatus());
            assertEquals(BODY.length, response.getContent().length);
        }
        assertEquals(1, connectionsOpened.get());
    }

    private ContentResponse get(String path) throws Exception
    {
        return client.newRequest("https://127.0.0.1:" + upstreamConnector.getLocalPort() + path).timeout(10, TimeUnit.SECONDS).send();
    }

    /** 1 KiB in one write with its head; first a 103 Early Hints for paths that ask for it. */
    private static final class Answering extends Handler.Abstract.NonBlocking
    {
        @Override
        public boolean handle(Request request, Response response, Callback callback)
        {
            if (!Request.getPathInContext(request).startsWith("/early-hints/"))
            {
                answer(response, callback);
                return true;
            }
            response.writeInterim(HttpStatus.EARLY_HINTS_103, HttpFields.build().add(HttpHeader.LINK, "</style.css>; rel=preload; as=style"))
                .whenComplete((ignored, failure) ->
                {
                    if (failure == null)
                        answer(response, callback);
                    else
                        callback.failed(failure);
                });
            return true;
        }

        private static void answer(Response response, Callback callback)
        {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, BODY.length);
            response.write(true, ByteBuffer.wrap(BODY), callback);
        }
    }

    /** Gatehouse's client connector, its sockets counting the reads that find nothing. */
    private final class WatchedConnector extends RecordBatchingSslConnectionFactory.BatchingClientConnector
    {
        @Override
        protected EndPoint newEndPoint(SelectableChannel selectable, ManagedSelector selector, SelectionKey key)
        {
            connectionsOpened.incrementAndGet();
            return new SocketChannelEndPoint((SocketChannel)selectable, selector, key, getScheduler())
            {
                @Override
                public int fill(ByteBuffer buffer) throws IOException
                {
                    int filled = super.fill(buffer);
                    if (filled == 0)
                        readsFindingNothing.incrementAndGet();
                    return filled;
                }

                @Override
                public void onClose(Throwable cause)
                {
                    super.onClose(cause);
                    connectionsClosed.incrementAndGet();
                }
            };
        }
    }
}
