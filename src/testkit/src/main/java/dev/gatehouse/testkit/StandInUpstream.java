package dev.gatehouse.testkit;

import java.net.URI;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLSession;

import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
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

/**
 * A stand-in upstream on 127.0.0.1 that records what it receives and serves what proxy tests need:
 * <ul>
 *   <li>{@code /bytes/N}: N bytes of {@link #patternByte(long)}, streamed with backpressure, with
 *       {@code Range} support (206) and {@code Accept-Ranges};</li>
 *   <li>{@code /upload}: consumes the body and answers {@code bytes=N crc=HEX};</li>
 *   <li>{@code /stall/MS}: waits MS milliseconds before answering;</li>
 *   <li>{@code /status/CODE}: answers CODE;</li>
 *   <li>anything else: the request line and headers as text, unless a handler was given.</li>
 * </ul>
 */
public final class StandInUpstream implements AutoCloseable
{
    private final Server server;
    private final ServerConnector connector;
    private final boolean tls;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final AtomicLong bytesSent = new AtomicLong();
    private volatile Handler custom;

    private StandInUpstream(KeyStore keyStore, boolean http2, String host)
    {
        this(keyStore, http2, host, 0);
    }

    private StandInUpstream(KeyStore keyStore, boolean http2, String host, int port)
    {
        this(keyStore, http2, host, port, null);
    }

    private StandInUpstream(KeyStore keyStore, boolean http2, String host, int port, String tlsProtocol)
    {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("stand-in-upstream");
        server = new Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        tls = keyStore != null;
        if (tls)
        {
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            secure.setSniHostCheck(false);
            config.addCustomizer(secure);
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setKeyStore(keyStore);
            ssl.setKeyStorePassword(TestCertificates.PASSWORD);
            ssl.setKeyManagerPassword(TestCertificates.PASSWORD);
            if (tlsProtocol != null)
                ssl.setIncludeProtocols(tlsProtocol);
            HttpConnectionFactory h1 = new HttpConnectionFactory(config);
            if (http2)
            {
                ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory("h2", "http/1.1");
                alpn.setDefaultProtocol("http/1.1");
                connector = new ServerConnector(server, new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, new HTTP2ServerConnectionFactory(config), h1);
            }
            else
            {
                connector = new ServerConnector(server, new SslConnectionFactory(ssl, h1.getProtocol()), h1);
            }
        }
        else
        {
            connector = http2
                ? new ServerConnector(server, new HttpConnectionFactory(config), new HTTP2CServerConnectionFactory(config))
                : new ServerConnector(server, new HttpConnectionFactory(config));
        }
        connector.setHost(host);
        connector.setPort(port);
        // Like a media server: a paused player's connection is kept, not cut after Jetty's 30 s.
        connector.setIdleTimeout(15 * 60 * 1000);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception
            {
                return serve(request, response, callback);
            }
        });
    }

    /**
     * @return a plain-HTTP upstream (HTTP/1.1 and h2c) on 127.0.0.1
     */
    public static StandInUpstream plain()
    {
        return start(new StandInUpstream(null, true, "127.0.0.1"));
    }

    /**
     * @param keyStore the server certificate (see {@link TestCertificates.Authority#issue})
     * @param http2 whether to offer h2 through ALPN besides http/1.1
     */
    public static StandInUpstream tls(KeyStore keyStore, boolean http2)
    {
        return start(new StandInUpstream(keyStore, http2, "127.0.0.1"));
    }

    /**
     * A TLS upstream on a given port of 127.0.0.1, e.g. the port of a stopped one: a server that
     * comes back with a new certificate (renewal) at the same address.
     */
    public static StandInUpstream tls(KeyStore keyStore, boolean http2, int port)
    {
        return start(new StandInUpstream(keyStore, http2, "127.0.0.1", port));
    }

    /**
     * A TLS upstream that speaks one TLS version only.
     *
     * @param tlsProtocol {@code TLSv1.2} or {@code TLSv1.3}
     */
    public static StandInUpstream tlsOnly(KeyStore keyStore, boolean http2, String tlsProtocol)
    {
        return start(new StandInUpstream(keyStore, http2, "127.0.0.1", 0, tlsProtocol));
    }

    private static StandInUpstream start(StandInUpstream upstream)
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
     * Serves requests that none of the built-in paths take with this handler.
     */
    public StandInUpstream handler(Handler handler)
    {
        this.custom = handler;
        if (!handler.isStarted())
        {
            handler.setServer(server);
            try
            {
                handler.start();
            }
            catch (Exception e)
            {
                throw new IllegalStateException(e);
            }
        }
        return this;
    }

    public int port()
    {
        return connector.getLocalPort();
    }

    /**
     * @return e.g. {@code http://127.0.0.1:PORT}
     */
    public URI uri()
    {
        return URI.create((tls ? "https" : "http") + "://127.0.0.1:" + port());
    }

    /**
     * @return the URI with another host name, for TLS upstreams reached by name
     */
    public URI uri(String host)
    {
        return URI.create((tls ? "https" : "http") + "://" + host + ":" + port());
    }

    public List<RecordedRequest> requests()
    {
        return List.copyOf(requests);
    }

    public RecordedRequest lastRequest()
    {
        if (requests.isEmpty())
            throw new AssertionError("the upstream received no request");
        return requests.get(requests.size() - 1);
    }

    /**
     * @return how many body bytes {@code /bytes} has handed to the network so far
     */
    public long bytesSent()
    {
        return bytesSent.get();
    }

    public int openConnections()
    {
        return connector.getConnectedEndPoints().size();
    }

    /**
     * The byte at a position of every {@code /bytes} body: cheap to check anywhere in a stream.
     */
    public static byte patternByte(long position)
    {
        return (byte)(position % 251);
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

    private boolean serve(Request request, Response response, Callback callback) throws Exception
    {
        requests.add(RecordedRequest.of(request, sniOf(request)));
        String path = Request.getPathInContext(request);
        if (path.startsWith("/bytes/"))
            return serveBytes(request, response, callback, Long.parseLong(path.substring("/bytes/".length())));
        if (path.equals("/upload"))
            return serveUpload(request, response, callback);
        if (path.startsWith("/stall/"))
        {
            long millis = Long.parseLong(path.substring("/stall/".length()));
            server.getScheduler().schedule(() -> Content.Sink.write(response, true, "stalled " + millis + "ms\n", callback), millis, TimeUnit.MILLISECONDS);
            return true;
        }
        if (path.startsWith("/status/"))
        {
            response.setStatus(Integer.parseInt(path.substring("/status/".length())));
            Content.Sink.write(response, true, "status\n", callback);
            return true;
        }
        Handler handler = custom;
        if (handler != null && handler.handle(request, response, callback))
            return true;
        StringBuilder text = new StringBuilder(request.getMethod() + " " + request.getHttpURI().getPathQuery() + " " + request.getConnectionMetaData().getProtocol() + "\n");
        for (var field : request.getHeaders())
            text.append(field.getName()).append(": ").append(field.getValue()).append('\n');
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain;charset=utf-8");
        Content.Sink.write(response, true, text.toString(), callback);
        return true;
    }

    private boolean serveBytes(Request request, Response response, Callback callback, long length)
    {
        long start = 0;
        long end = length - 1;
        String range = request.getHeaders().get(HttpHeader.RANGE);
        response.getHeaders().put(HttpHeader.ACCEPT_RANGES, "bytes");
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
        response.getHeaders().put(HttpHeader.ETAG, "\"bytes-" + length + "\"");
        if (range != null && range.startsWith("bytes="))
        {
            String[] bounds = range.substring(6).split("-", 2);
            if (bounds[0].isEmpty())
            {
                start = Math.max(0, length - Long.parseLong(bounds[1]));
            }
            else
            {
                start = Long.parseLong(bounds[0]);
                if (!bounds[1].isEmpty())
                    end = Math.min(end, Long.parseLong(bounds[1]));
            }
            if (start >= length || start > end)
            {
                response.setStatus(HttpStatus.RANGE_NOT_SATISFIABLE_416);
                response.getHeaders().put(HttpHeader.CONTENT_RANGE, "bytes */" + length);
                callback.succeeded();
                return true;
            }
            response.setStatus(HttpStatus.PARTIAL_CONTENT_206);
            response.getHeaders().put(HttpHeader.CONTENT_RANGE, "bytes " + start + "-" + end + "/" + length);
        }
        long count = end - start + 1;
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, count);
        if ("HEAD".equals(request.getMethod()))
        {
            callback.succeeded();
            return true;
        }
        long first = start;
        new IteratingCallback()
        {
            private final ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
            private long position = first;
            private final long stop = first + count;

            @Override
            protected Action process()
            {
                if (position >= stop)
                    return Action.SUCCEEDED;
                int chunk = (int)Math.min(buffer.capacity(), stop - position);
                buffer.clear();
                for (int i = 0; i < chunk; i++)
                    buffer.put(patternByte(position + i));
                buffer.flip();
                position += chunk;
                bytesSent.addAndGet(chunk);
                response.write(position >= stop, buffer, this);
                return Action.SCHEDULED;
            }

            @Override
            protected void onCompleteSuccess()
            {
                callback.succeeded();
            }

            @Override
            protected void onCompleteFailure(Throwable cause)
            {
                callback.failed(cause);
            }
        }.iterate();
        return true;
    }

    private boolean serveUpload(Request request, Response response, Callback callback)
    {
        CRC32 crc = new CRC32();
        long[] total = new long[1];
        Runnable reader = new Runnable()
        {
            @Override
            public void run()
            {
                while (true)
                {
                    Content.Chunk chunk = request.read();
                    if (chunk == null)
                    {
                        request.demand(this);
                        return;
                    }
                    if (Content.Chunk.isFailure(chunk))
                    {
                        callback.failed(chunk.getFailure());
                        return;
                    }
                    ByteBuffer bytes = chunk.getByteBuffer();
                    total[0] += bytes.remaining();
                    crc.update(bytes);
                    chunk.release();
                    if (chunk.isLast())
                    {
                        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                        Content.Sink.write(response, true, "bytes=" + total[0] + " crc=" + Long.toHexString(crc.getValue()) + "\n", callback);
                        return;
                    }
                }
            }
        };
        reader.run();
        return true;
    }

    private static String sniOf(Request request)
    {
        if (request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE) instanceof EndPoint.SslSessionData data)
        {
            SSLSession session = data.sslSession();
            if (session instanceof ExtendedSSLSession extended)
            {
                for (SNIServerName name : extended.getRequestedServerNames())
                {
                    if (name instanceof SNIHostName host)
                        return host.getAsciiName();
                }
            }
        }
        return null;
    }

    /**
     * What the upstream received.
     *
     * @param sni the TLS server name the client sent, or {@code null}
     * @param connection the id of the connection (or h2 session) the request came on
     */
    public record RecordedRequest(String method, String pathQuery, String protocol, HttpFields headers, String remoteAddress, String sni, String connection)
    {
        static RecordedRequest of(Request request, String sni)
        {
            return new RecordedRequest(request.getMethod(), request.getHttpURI().getPathQuery(), request.getConnectionMetaData().getProtocol(),
                HttpFields.build(request.getHeaders()).asImmutable(), Request.getRemoteAddr(request), sni,
                request.getConnectionMetaData().getId());
        }

        public List<String> values(String header)
        {
            return headers.getValuesList(header);
        }

        public String header(String header)
        {
            return headers.get(header);
        }
    }
}
