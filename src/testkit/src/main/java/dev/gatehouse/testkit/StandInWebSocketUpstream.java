package dev.gatehouse.testkit;

import java.net.URI;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.server.Handshaker;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;

/**
 * A stand-in WebSocket upstream on 127.0.0.1 (HTTP/1.1, plain or TLS), built on Jetty's core
 * WebSocket server with raw frame handlers, that records what it receives:
 * <ul>
 *   <li>{@code /status/CODE}: refuses the upgrade with CODE;</li>
 *   <li>{@code /flood/N}: sends N bytes as 64 KiB binary messages of {@link StandInUpstream#patternByte},
 *       one at a time as each send completes, counting completed bytes ({@link #floodBytesSent()}),
 *       then closes with 1000;</li>
 *   <li>anything else: echoes every data frame as received (opcode, fin, payload), answers PING with
 *       PONG, and obeys the text commands {@code close:CODE} (closes with CODE, reason "bye") and
 *       {@code drop} (aborts the TCP connection without a close handshake).</li>
 * </ul>
 * The subprotocol is the first offered one among {@link #SUBPROTOCOLS}. Limits are raised (16 MiB
 * messages, 10 min idle) so the upstream is never the limiting side.
 */
public final class StandInWebSocketUpstream implements AutoCloseable
{
    /**
     * Subprotocols the upstream accepts, in its order of preference.
     */
    public static final List<String> SUBPROTOCOLS = List.of("plex-proto", "chat.v2");

    private final Server server;
    private final ServerConnector connector;
    private final boolean tls;
    private final Handshaker handshaker = Handshaker.newInstance();
    private final WebSocketComponents components;
    private final Configuration.ConfigurationCustomizer configuration = new Configuration.ConfigurationCustomizer();
    private final List<StandInUpstream.RecordedRequest> upgrades = new CopyOnWriteArrayList<>();
    private final BlockingQueue<CloseStatus> closes = new LinkedBlockingQueue<>();
    private final AtomicInteger openSessions = new AtomicInteger();
    private final AtomicLong floodBytesSent = new AtomicLong();

    private StandInWebSocketUpstream(KeyStore keyStore)
    {
        this(keyStore, false);
    }

    private StandInWebSocketUpstream(KeyStore keyStore, boolean http2)
    {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("stand-in-ws-upstream");
        server = new Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        tls = keyStore != null;
        HttpConnectionFactory h1 = new HttpConnectionFactory(config);
        if (tls)
        {
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            secure.setSniHostCheck(false);
            config.addCustomizer(secure);
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStore(keyStore);
            ssl.setKeyStorePassword(TestCertificates.PASSWORD);
            ssl.setKeyManagerPassword(TestCertificates.PASSWORD);
            connector = new ServerConnector(server, new SslConnectionFactory(ssl, h1.getProtocol()), h1);
        }
        else if (http2)
        {
            // h2c by prior knowledge, with RFC 8441 extended CONNECT for WebSocket upgrades.
            HTTP2CServerConnectionFactory h2c = new HTTP2CServerConnectionFactory(config);
            h2c.setConnectProtocolEnabled(true);
            connector = new ServerConnector(server, h1, h2c);
        }
        else
        {
            connector = new ServerConnector(server, h1);
        }
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        components = new WebSocketComponents(null, null, null, null, null, threads);
        server.addBean(components);
        configuration.setMaxFrameSize(64 * 1024);
        configuration.setMaxTextMessageSize(16 * 1024 * 1024);
        configuration.setMaxBinaryMessageSize(16 * 1024 * 1024);
        configuration.setIdleTimeout(java.time.Duration.ofMinutes(10));
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                return serve(request, response, callback);
            }
        });
    }

    public static StandInWebSocketUpstream plain()
    {
        return start(new StandInWebSocketUpstream(null));
    }

    /**
     * @return a plain upstream that also speaks HTTP/2 (h2c by prior knowledge, RFC 8441 WebSocket
     * upgrades), for routes with {@code gatehouse.upstream.protocol=http2}
     */
    public static StandInWebSocketUpstream plainHttp2()
    {
        return start(new StandInWebSocketUpstream(null, true));
    }

    /**
     * @param keyStore the server certificate (see {@link TestCertificates.Authority#issue})
     */
    public static StandInWebSocketUpstream tls(KeyStore keyStore)
    {
        return start(new StandInWebSocketUpstream(keyStore));
    }

    private static StandInWebSocketUpstream start(StandInWebSocketUpstream upstream)
    {
        try
        {
            upstream.server.start();
            return upstream;
        }
        catch (Exception e)
        {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @return the upstream for {@code gatehouse.upstream}, e.g. {@code http://127.0.0.1:PORT}
     */
    public URI uri()
    {
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + connector.getLocalPort());
    }

    public int port()
    {
        return connector.getLocalPort();
    }

    /**
     * @return the upgrade requests received, in order
     */
    public List<StandInUpstream.RecordedRequest> upgrades()
    {
        return List.copyOf(upgrades);
    }

    /**
     * @return the close status of every upstream session that ended, as the upstream saw it
     */
    public BlockingQueue<CloseStatus> closes()
    {
        return closes;
    }

    /**
     * @return upstream sessions open right now
     */
    public int openSessions()
    {
        return openSessions.get();
    }

    /**
     * @return TCP connections open right now
     */
    public int openConnections()
    {
        return connector.getConnectedEndPoints().size();
    }

    /**
     * @return bytes whose send {@code /flood} saw completed
     */
    public long floodBytesSent()
    {
        return floodBytesSent.get();
    }

    @Override
    public void close()
    {
        try
        {
            server.stop();
        }
        catch (Exception e)
        {
            throw new IllegalStateException(e);
        }
    }

    private boolean serve(Request request, Response response, Callback callback)
    {
        upgrades.add(StandInUpstream.RecordedRequest.of(request, null));
        String path = Request.getPathInContext(request);
        if (path.startsWith("/status/"))
        {
            Response.writeError(request, response, callback, Integer.parseInt(path.substring("/status/".length())));
            return true;
        }
        if (!handshaker.isWebSocketUpgradeRequest(request))
        {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            Content.Sink.write(response, true, "not a WebSocket upgrade\n", callback);
            return true;
        }
        WebSocketNegotiator negotiator = new WebSocketNegotiator()
        {
            @Override
            public FrameHandler negotiate(ServerUpgradeRequest upgradeRequest, ServerUpgradeResponse upgradeResponse, Callback upgradeCallback)
            {
                for (String offered : upgradeRequest.getSubProtocols())
                {
                    if (SUBPROTOCOLS.contains(offered))
                    {
                        upgradeResponse.setAcceptedSubProtocol(offered);
                        break;
                    }
                }
                if (path.startsWith("/flood/"))
                    return new Flood(Long.parseLong(path.substring("/flood/".length())));
                return new Echo();
            }

            @Override
            public void customize(Configuration configurable)
            {
                configuration.customize(configurable);
            }
        };
        if (!handshaker.upgradeRequest(negotiator, request, response, callback, components, configuration))
            Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400);
        return true;
    }

    private abstract class Endpoint implements FrameHandler
    {
        protected CoreSession session;

        @Override
        public void onOpen(CoreSession coreSession, Callback callback)
        {
            session = coreSession;
            openSessions.incrementAndGet();
            callback.succeeded();
            coreSession.demand();
        }

        @Override
        public void onError(Throwable cause, Callback callback)
        {
            callback.succeeded();
        }

        @Override
        public void onClosed(CloseStatus closeStatus, Callback callback)
        {
            openSessions.decrementAndGet();
            closes.add(closeStatus);
            callback.succeeded();
        }
    }

    private final class Echo extends Endpoint
    {
        @Override
        public void onFrame(Frame frame, Callback callback)
        {
            switch (frame.getOpCode())
            {
                case OpCode.CLOSE -> callback.succeeded();
                case OpCode.PING -> session.sendFrame(new Frame(OpCode.PONG, true, frame.getPayload()), demandAfter(callback), false);
                case OpCode.PONG -> demandAfter(callback).succeeded();
                default ->
                {
                    if (frame.getOpCode() == OpCode.TEXT && frame.isFin() && frame.getPayloadLength() < 64)
                    {
                        String command = frame.getPayloadAsUTF8();
                        if (command.startsWith("close:"))
                        {
                            callback.succeeded();
                            session.close(Integer.parseInt(command.substring("close:".length())), "bye", Callback.NOOP);
                            session.demand();
                            return;
                        }
                        if (command.equals("drop"))
                        {
                            callback.succeeded();
                            session.abort();
                            return;
                        }
                    }
                    session.sendFrame(new Frame(frame.getOpCode(), frame.isFin(), frame.getPayload()), demandAfter(callback), false);
                }
            }
        }

        private Callback demandAfter(Callback callback)
        {
            return Callback.from(() ->
            {
                callback.succeeded();
                session.demand();
            }, callback::failed);
        }
    }

    private final class Flood extends Endpoint
    {
        private final long total;

        private Flood(long total)
        {
            this.total = total;
        }

        @Override
        public void onOpen(CoreSession coreSession, Callback callback)
        {
            super.onOpen(coreSession, callback);
            new IteratingCallback()
            {
                private long position;

                @Override
                protected Action process()
                {
                    if (position >= total)
                        return Action.SUCCEEDED;
                    int chunk = (int)Math.min(64 * 1024, total - position);
                    ByteBuffer buffer = ByteBuffer.allocate(chunk);
                    for (int i = 0; i < chunk; i++)
                        buffer.put(StandInUpstream.patternByte(position + i));
                    buffer.flip();
                    position += chunk;
                    int sent = chunk;
                    // One message per frame: the flood is about bytes in flight, not message limits.
                    coreSession.sendFrame(new Frame(OpCode.BINARY, true, buffer),
                        Callback.from(() ->
                        {
                            floodBytesSent.addAndGet(sent);
                            succeeded();
                        }, this::failed), false);
                    return Action.SCHEDULED;
                }

                @Override
                protected void onCompleteSuccess()
                {
                    coreSession.close(CloseStatus.NORMAL, "flood done", Callback.NOOP);
                }
            }.iterate();
        }

        @Override
        public void onFrame(Frame frame, Callback callback)
        {
            callback.succeeded();
            if (frame.getOpCode() != OpCode.CLOSE)
                session.demand();
        }
    }
}
