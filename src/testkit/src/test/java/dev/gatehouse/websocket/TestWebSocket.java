package dev.gatehouse.websocket;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.gatehouse.core.websocket.TunnelResponseContent;
import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.client.CoreClientUpgradeRequest;
import org.eclipse.jetty.websocket.core.client.UpgradeListener;
import org.eclipse.jetty.websocket.core.client.WebSocketCoreClient;

/**
 * A real WebSocket client end (Jetty core client) for tests: aggregates messages, records PONGs and
 * the close status, and can stop reading (pause) to play a slow reader.
 */
final class TestWebSocket implements FrameHandler
{
    record Message(byte opCode, byte[] bytes)
    {
        String text()
        {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    final BlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    final BlockingQueue<byte[]> pongs = new LinkedBlockingQueue<>();
    final CompletableFuture<CloseStatus> closed = new CompletableFuture<>();
    /** Data bytes received so far. */
    final AtomicLong bytesReceived = new AtomicLong();
    /** For flood checks: false once a byte did not match {@link StandInUpstream#patternByte}. */
    volatile boolean patternIntact = true;
    private final boolean countOnly;
    private volatile CoreSession session;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private byte partialOpCode;
    private boolean paused;
    private volatile long firstDemandDelayMillis;
    private boolean demandOwed;

    private TestWebSocket(boolean countOnly)
    {
        this.countOnly = countOnly;
    }

    static TestWebSocket connect(WebSocketCoreClient client, URI uri, List<String> subprotocols, Consumer<HttpFields.Mutable> headers) throws Exception
    {
        return connect(client, uri, subprotocols, headers, false);
    }

    /**
     * @param countOnly count data bytes and check them against the flood pattern instead of keeping messages
     */
    static TestWebSocket connect(WebSocketCoreClient client, URI uri, List<String> subprotocols, Consumer<HttpFields.Mutable> headers, boolean countOnly) throws Exception
    {
        return connect(client, uri, subprotocols, headers, countOnly, true, 0);
    }

    /**
     * @param leaveTunnelContent works around Jetty's HTTP/2 client reading the first frame of an RFC 8441
     * WebSocket as response content ({@link TunnelResponseContent}); only a test of that turns it off
     * @param slowStartMillis plays a slow client: the upgrade's thread pauses this long while the
     * handshake response is processed (so the server's first frames arrive meanwhile), and the
     * socket starts reading only this long after it opened
     */
    static TestWebSocket connect(WebSocketCoreClient client, URI uri, List<String> subprotocols, Consumer<HttpFields.Mutable> headers, boolean countOnly,
                                 boolean leaveTunnelContent, long slowStartMillis) throws Exception
    {
        return connect(new TestWebSocket(countOnly), client, uri, subprotocols, headers, leaveTunnelContent, slowStartMillis);
    }

    /**
     * A counting socket that is paused before it opens: it takes the first frame (its opening
     * demand) and no more until {@link #resume()}, however fast the server sends.
     */
    static TestWebSocket connectPaused(WebSocketCoreClient client, URI uri) throws Exception
    {
        TestWebSocket socket = new TestWebSocket(true);
        socket.pause();
        return connect(socket, client, uri, List.of(), null, true, 0);
    }

    private static TestWebSocket connect(TestWebSocket socket, WebSocketCoreClient client, URI uri, List<String> subprotocols, Consumer<HttpFields.Mutable> headers,
                                         boolean leaveTunnelContent, long slowStartMillis) throws Exception
    {
        socket.firstDemandDelayMillis = slowStartMillis;
        CoreClientUpgradeRequest request = CoreClientUpgradeRequest.from(client, uri, socket);
        if (!subprotocols.isEmpty())
            request.setSubProtocols(subprotocols);
        if (headers != null)
            request.headers(headers);
        request.addListener(new UpgradeListener()
        {
            @Override
            public void onHandshakeRequest(Request upgradeRequest)
            {
                if (leaveTunnelContent)
                    TunnelResponseContent.leaveToTheWebSocket(upgradeRequest);
            }

            @Override
            public void onHandshakeResponse(Request upgradeRequest, Response response)
            {
                if (slowStartMillis > 0)
                    pause(slowStartMillis);
            }
        });
        try
        {
            client.connect(request).get(20, TimeUnit.SECONDS);
        }
        catch (ExecutionException e)
        {
            if (e.getCause() instanceof Exception cause)
                throw cause;
            throw e;
        }
        return socket;
    }

    CoreSession session()
    {
        return session;
    }

    @Override
    public void onOpen(CoreSession coreSession, Callback callback)
    {
        session = coreSession;
        callback.succeeded();
        if (firstDemandDelayMillis > 0)
            CompletableFuture.delayedExecutor(firstDemandDelayMillis, TimeUnit.MILLISECONDS).execute(coreSession::demand);
        else
            coreSession.demand();
    }

    private static void pause(long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void onFrame(Frame frame, Callback callback)
    {
        switch (frame.getOpCode())
        {
            case OpCode.CLOSE ->
            {
                callback.succeeded();
                return;
            }
            case OpCode.PONG -> pongs.add(BufferUtil.toArray(frame.getPayload()));
            case OpCode.PING -> { }
            default ->
            {
                if (frame.getOpCode() != OpCode.CONTINUATION)
                    partialOpCode = frame.getOpCode();
                ByteBuffer payload = frame.getPayload();
                int length = payload == null ? 0 : payload.remaining();
                if (countOnly)
                {
                    long start = bytesReceived.get();
                    for (int i = 0; i < length; i++)
                    {
                        if (payload.get(payload.position() + i) != StandInUpstream.patternByte(start + i))
                        {
                            patternIntact = false;
                            break;
                        }
                    }
                }
                else if (length > 0)
                {
                    partial.write(BufferUtil.toArray(payload), 0, length);
                }
                bytesReceived.addAndGet(length);
                if (frame.isFin() && !countOnly)
                {
                    messages.add(new Message(partialOpCode, partial.toByteArray()));
                    partial.reset();
                }
            }
        }
        callback.succeeded();
        boolean demand;
        synchronized (this)
        {
            demand = !paused;
            demandOwed = paused;
        }
        if (demand)
            session.demand();
    }

    /**
     * Stops reading: no more frames are demanded until {@link #resume()}.
     */
    void pause()
    {
        synchronized (this)
        {
            paused = true;
        }
    }

    void resume()
    {
        boolean demand;
        synchronized (this)
        {
            paused = false;
            demand = demandOwed;
            demandOwed = false;
        }
        if (demand)
            session.demand();
    }

    @Override
    public void onError(Throwable cause, Callback callback)
    {
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus closeStatus, Callback callback)
    {
        closed.complete(closeStatus);
        callback.succeeded();
    }

    void send(byte opCode, byte[] bytes) throws Exception
    {
        FutureCallback sent = new FutureCallback();
        session.sendFrame(new Frame(opCode, true, ByteBuffer.wrap(bytes)), sent, false);
        sent.get(20, TimeUnit.SECONDS);
    }

    void sendText(String text) throws Exception
    {
        send(OpCode.TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    Message nextMessage() throws InterruptedException
    {
        Message message = messages.poll(20, TimeUnit.SECONDS);
        if (message == null)
            throw new AssertionError("no message within 20 s");
        return message;
    }

    CloseStatus awaitClosed() throws Exception
    {
        return closed.get(20, TimeUnit.SECONDS);
    }

    /**
     * Starts the close handshake; {@link #awaitClosed()} gives the outcome. (The send callback of a
     * CLOSE may fail with ClosedChannelException when the answer closes the connection first.)
     */
    void close(int code, String reason)
    {
        session.close(code, reason, Callback.NOOP);
    }
}
