package dev.gatehouse.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManagerFactory;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

import dev.gatehouse.core.tls.RecordBatchingSslConnection;
import dev.gatehouse.core.tls.RecordBatchingSslConnectionFactory;
import dev.gatehouse.testkit.PatternContent;
import dev.gatehouse.testkit.TestCertificates;
import org.conscrypt.Conscrypt;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RecordBatchingSslConnection}: several TLS records per read and per write, with the
 * records' content intact and Jetty's handling of everything that is not application data.
 */
class RecordBatchingSslConnectionTest
{
    private static final TestCertificates.Authority AUTHORITY = TestCertificates.newAuthority("Batching Test CA");
    private static final KeyStore SERVER_KEYS = AUTHORITY.issue("localhost", "localhost", "127.0.0.1");

    private final List<AutoCloseable> started = new ArrayList<>();

    @AfterEach
    void stop() throws Exception
    {
        for (int i = started.size() - 1; i >= 0; i--)
            started.get(i).close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void oneWrapCallEncryptsAsManyRecordsAsTheBufferHolds(String protocol) throws Exception
    {
        EnginePair engines = EnginePair.connected(protocol);
        Exposed connection = new Exposed(engines.server);
        byte[] content = PatternContent.bytes(0, 3 * 16_384);
        ByteBuffer wire = ByteBuffer.allocate(RecordBatchingSslConnection.BUFFER_BYTES);

        SSLEngineResult result = connection.wrap(engines.server, new ByteBuffer[]{ByteBuffer.wrap(content)}, wire);

        assertEquals(SSLEngineResult.Status.OK, result.getStatus());
        assertEquals(content.length, result.bytesConsumed(), "all three 16 KiB chunks in one call");
        wire.flip();
        assertEquals(wire.remaining(), result.bytesProduced());
        // TLS 1.3 in the JDK: 16,367 bytes per record, so the last 51 bytes are a fourth, short record.
        assertEquals(protocol.equals("TLSv1.3") ? 4 : 3, recordsIn(wire));
        assertArrayEquals(content, engines.decryptAtClient(wire));
    }

    @Test
    void whatDoesNotFitIsLeftForTheNextCall() throws Exception
    {
        EnginePair engines = EnginePair.connected("TLSv1.3");
        Exposed connection = new Exposed(engines.server);
        byte[] content = PatternContent.bytes(0, 100 * 1024);
        ByteBuffer source = ByteBuffer.wrap(content);
        ByteBuffer wire = ByteBuffer.allocate(RecordBatchingSslConnection.BUFFER_BYTES);

        SSLEngineResult first = connection.wrap(engines.server, new ByteBuffer[]{source}, wire);
        assertEquals(3 * 16_367, first.bytesConsumed(), "three full records; a fourth needs a whole packet of room");
        wire.flip();
        byte[] firstPart = engines.decryptAtClient(wire);

        wire.clear();
        SSLEngineResult second = connection.wrap(engines.server, new ByteBuffer[]{source}, wire);
        assertEquals(content.length - first.bytesConsumed(), second.bytesConsumed());
        wire.flip();
        byte[] secondPart = engines.decryptAtClient(wire);

        assertArrayEquals(content, concat(firstPart, secondPart));
    }

    @Test
    void oneUnwrapCallDecryptsEveryWholeRecordThatWasRead() throws Exception
    {
        EnginePair engines = EnginePair.connected("TLSv1.3");
        Exposed connection = new Exposed(engines.server);
        byte[] content = PatternContent.bytes(0, 3 * 16_000);
        ByteBuffer wire = engines.encryptAtClient(content, 16_000);
        int wholeRecords = wire.remaining();
        ByteBuffer partial = engines.encryptAtClient(PatternContent.bytes(0, 1000), 1000);
        int partialBytes = partial.remaining() - 10;
        ByteBuffer input = readSoFar(wire, partial, 10, false);
        ByteBuffer plain = ByteBuffer.allocate(RecordBatchingSslConnection.BUFFER_BYTES);

        SSLEngineResult result = connection.unwrap(engines.server, input, plain);

        assertEquals(SSLEngineResult.Status.OK, result.getStatus());
        assertEquals(content.length, result.bytesProduced(), "three records in one call");
        assertEquals(wholeRecords, result.bytesConsumed());
        assertEquals(partialBytes, input.remaining(), "the incomplete record stays for the next read");
        plain.flip();
        assertArrayEquals(content, bytes(plain));
    }

    /** Jetty's encrypted buffers are direct here; the engine works on a heap copy of them. */
    @Test
    void directBuffersAreStagedWithTheSameRecordsAndPositions() throws Exception
    {
        EnginePair engines = EnginePair.connected("TLSv1.3");
        Exposed connection = new Exposed(engines.server);
        byte[] content = PatternContent.bytes(0, 3 * 16_384);
        ByteBuffer wire = ByteBuffer.allocateDirect(RecordBatchingSslConnection.BUFFER_BYTES);
        wire.put(new byte[7]);

        SSLEngineResult wrapped = connection.wrap(engines.server, new ByteBuffer[]{ByteBuffer.wrap(content)}, wire);
        assertEquals(content.length, wrapped.bytesConsumed());
        assertEquals(7 + wrapped.bytesProduced(), wire.position(), "appended after what the buffer held");
        wire.flip().position(7);
        assertEquals(4, recordsIn(wire));
        assertArrayEquals(content, engines.decryptAtClient(wire));

        byte[] upload = PatternContent.bytes(0, 2 * 16_000);
        ByteBuffer records = engines.encryptAtClient(upload, 16_000);
        ByteBuffer partial = engines.encryptAtClient(PatternContent.bytes(0, 100), 100);
        int wholeRecords = records.remaining();
        int partialBytes = partial.remaining() - 1;
        ByteBuffer input = readSoFar(records, partial, 1, true);
        ByteBuffer plain = ByteBuffer.allocate(RecordBatchingSslConnection.BUFFER_BYTES);

        SSLEngineResult unwrapped = connection.unwrap(engines.server, input, plain);
        assertEquals(wholeRecords, unwrapped.bytesConsumed());
        assertEquals(wholeRecords, input.position(), "the direct input advanced by what was consumed");
        assertEquals(partialBytes, input.remaining());
        assertArrayEquals(upload, bytes(plain.flip()));
    }

    /**
     * Conscrypt (the gatehouse-conscrypt module) copies input that is not one direct buffer into a
     * 16 KiB direct buffer of its own per engine, which only the collector frees (~100 MiB of
     * direct memory under 20 s of new connections). An HTTP/1.1 response's header and body reach
     * it gathered into one pooled direct buffer instead, intact, also across several records.
     */
    @ParameterizedTest
    @ValueSource(ints = {1_024, 40_000})
    void conscryptGetsHeaderAndBodyAsOneDirectBuffer(int bodyBytes) throws Exception
    {
        EnginePair engines = EnginePair.connected("TLSv1.3", Conscrypt.newProvider());
        Exposed connection = new Exposed(engines.server);
        byte[] headerBytes = PatternContent.bytes(0, 200);
        byte[] bodyBytesContent = PatternContent.bytes(200, bodyBytes);
        ByteBuffer header = ByteBuffer.allocateDirect(headerBytes.length).put(headerBytes).flip();
        ByteBuffer body = ByteBuffer.wrap(bodyBytesContent);
        ByteBuffer wire = ByteBuffer.allocateDirect(RecordBatchingSslConnection.BUFFER_BYTES);

        SSLEngineResult result = connection.wrap(engines.server, new ByteBuffer[]{header, body}, wire);

        assertEquals(SSLEngineResult.Status.OK, result.getStatus());
        assertEquals(headerBytes.length + bodyBytes, result.bytesConsumed());
        assertEquals(0, header.remaining() + body.remaining(), "both buffers consumed");
        wire.flip();
        assertEquals(wire.remaining(), result.bytesProduced());
        assertArrayEquals(concat(headerBytes, bodyBytesContent), engines.decryptAtClient(wire));
        assertNull(conscryptOwnDirectBuffer(engines.server), "Conscrypt allocated a direct buffer of its own");
    }

    /** Records read into a direct buffer reach Conscrypt as they are, several per call. */
    @Test
    void conscryptUnwrapsEveryWholeRecordFromTheDirectBuffer() throws Exception
    {
        EnginePair engines = EnginePair.connected("TLSv1.3", Conscrypt.newProvider());
        Exposed connection = new Exposed(engines.server);
        byte[] content = PatternContent.bytes(0, 3 * 16_000);
        ByteBuffer records = engines.encryptAtClient(content, 16_000);
        int recordBytes = records.remaining();
        ByteBuffer input = ByteBuffer.allocateDirect(recordBytes).put(records).flip();
        ByteBuffer plain = ByteBuffer.allocateDirect(RecordBatchingSslConnection.BUFFER_BYTES);

        SSLEngineResult result = connection.unwrap(engines.server, input, plain);

        assertEquals(SSLEngineResult.Status.OK, result.getStatus());
        assertEquals(content.length, result.bytesProduced(), "three records in one call");
        assertEquals(recordBytes, result.bytesConsumed());
        assertArrayEquals(content, bytes(plain.flip()));
    }

    @Test
    void aBrokenRecordFailsTheCallAfterTheGoodOnesWereDelivered() throws Exception
    {
        EnginePair engines = EnginePair.connected("TLSv1.3");
        Exposed connection = new Exposed(engines.server);
        byte[] content = PatternContent.bytes(0, 2 * 8_000);
        ByteBuffer wire = engines.encryptAtClient(content, 8_000);
        int secondRecordStart = recordBytesAt(wire, 0);
        wire.put(secondRecordStart + 100, (byte)(wire.get(secondRecordStart + 100) ^ 1));
        ByteBuffer plain = ByteBuffer.allocate(RecordBatchingSslConnection.BUFFER_BYTES);

        SSLEngineResult first = connection.unwrap(engines.server, wire, plain);
        assertEquals(SSLEngineResult.Status.OK, first.getStatus());
        assertEquals(8_000, first.bytesProduced(), "the good record is not lost with the bad one");
        plain.flip();
        assertArrayEquals(Arrays.copyOf(content, 8_000), bytes(plain));

        plain.clear();
        assertThrows(SSLException.class, () -> connection.unwrap(engines.server, wire, plain));
    }

    @Test
    void closeNotifyIsLeftToJetty() throws Exception
    {
        EnginePair engines = EnginePair.connected("TLSv1.3");
        Exposed connection = new Exposed(engines.server);
        byte[] content = PatternContent.bytes(0, 5_000);
        ByteBuffer data = engines.encryptAtClient(content, 5_000);
        engines.client.closeOutbound();
        ByteBuffer close = ByteBuffer.allocate(engines.client.getSession().getPacketBufferSize());
        engines.client.wrap(ByteBuffer.allocate(0), close);
        close.flip();
        ByteBuffer input = ByteBuffer.allocate(data.remaining() + close.remaining()).put(data).put(close).flip();
        ByteBuffer plain = ByteBuffer.allocate(RecordBatchingSslConnection.BUFFER_BYTES);

        SSLEngineResult first = connection.unwrap(engines.server, input, plain);
        assertEquals(SSLEngineResult.Status.OK, first.getStatus());
        assertEquals(content.length, first.bytesProduced());

        SSLEngineResult second = connection.unwrap(engines.server, input, plain);
        assertEquals(SSLEngineResult.Status.CLOSED, second.getStatus());
    }

    /**
     * Real sockets: a 1 MiB response leaves in at most half as many socket writes as TLS records
     * (Jetty's own connection makes at least one write per record), and a client whose connection
     * batches reads receives it intact.
     */
    @Test
    void aDownloadOverRealSocketsLeavesInFewerWritesThanRecords() throws Exception
    {
        int size = 1024 * 1024;
        byte[] content = PatternContent.bytes(0, size);
        AtomicInteger writesWithData = new AtomicInteger();
        AtomicLong bytesWritten = new AtomicLong();
        ServerConnector connector = startServer(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, org.eclipse.jetty.server.Response response, Callback callback)
            {
                response.getHeaders().put("Content-Length", size);
                response.write(true, ByteBuffer.wrap(content), callback);
                return true;
            }
        }, (channel, selector, key, scheduler) -> new SocketChannelEndPoint(channel, selector, key, scheduler)
        {
            @Override
            public boolean flush(ByteBuffer... buffers) throws IOException
            {
                long before = remaining(buffers);
                boolean flushed = super.flush(buffers);
                long written = before - remaining(buffers);
                if (written > 0)
                {
                    writesWithData.incrementAndGet();
                    bytesWritten.addAndGet(written);
                }
                return flushed;
            }
        });

        HttpClient client = batchingClient(RecordBatchingSslConnection.BUFFER_BYTES);

        InputStreamResponseListener listener = new InputStreamResponseListener();
        client.newRequest("https://localhost:" + connector.getLocalPort() + "/").send(listener);
        Response response = listener.get(10, TimeUnit.SECONDS);
        assertEquals(200, response.getStatus());
        byte[] received;
        try (InputStream body = listener.getInputStream())
        {
            received = body.readAllBytes();
        }
        assertArrayEquals(content, received);

        long records = size / 16_367;
        assertTrue(writesWithData.get() <= records / 2,
            writesWithData.get() + " socket writes for " + bytesWritten.get() + " bytes (" + records + "+ records)");
        assertInstanceOf(RecordBatchingSslConnectionFactory.class, connector.getDefaultConnectionFactory());
    }

    /**
     * Real sockets: a keep-alive connection whose response completes on another thread (as every
     * proxied response does) reads its socket once after the response and waits for the selector,
     * where Jetty's HTTP/1.1 connection would read twice (it retries a read that brought nothing),
     * and nothing sent in the meantime is missed.
     */
    @Test
    void aKeepAliveConnectionReadsAnEmptySocketOncePerRequest() throws Exception
    {
        AtomicInteger emptyReads = new AtomicInteger();
        AtomicInteger connections = new AtomicInteger();
        ScheduledExecutorService responder = Executors.newSingleThreadScheduledExecutor();
        started.add(responder::shutdownNow);
        ServerConnector connector = startServer(new Handler.Abstract.NonBlocking()
        {
            @Override
            public boolean handle(Request request, org.eclipse.jetty.server.Response response, Callback callback)
            {
                byte[] answer = request.getHttpURI().getQuery().getBytes(StandardCharsets.US_ASCII);
                // Later, as an upstream's answer comes: the request's thread has moved on by then.
                responder.schedule(() ->
                {
                    response.getHeaders().put("Content-Length", answer.length);
                    response.write(true, ByteBuffer.wrap(answer), callback);
                }, 5, TimeUnit.MILLISECONDS);
                return true;
            }
        }, (channel, selector, key, scheduler) ->
        {
            connections.incrementAndGet();
            return new SocketChannelEndPoint(channel, selector, key, scheduler)
            {
                @Override
                public int fill(ByteBuffer buffer) throws IOException
                {
                    int filled = super.fill(buffer);
                    if (filled == 0)
                        emptyReads.incrementAndGet();
                    return filled;
                }
            };
        });
        HttpClient client = batchingClient(new HttpClient().getResponseBufferSize());
        String origin = "https://localhost:" + connector.getLocalPort() + "/?";

        assertEquals("first", client.GET(origin + "first").getContentAsString());
        int requests = 10;
        int before = settled(emptyReads);
        for (int i = 0; i < requests; i++)
        {
            assertEquals("request" + i, client.GET(origin + "request" + i).getContentAsString());
            settled(emptyReads);
        }
        assertEquals(requests, settled(emptyReads) - before, "reads that found nothing, one per request");
        assertEquals(1, connections.get(), "one keep-alive connection");

        // Many connections, each sent its next request the moment its response arrives, while the
        // server may still be reading after that response: every request is answered.
        List<CompletableFuture<ContentResponse>> answers = new ArrayList<>();
        for (int i = 0; i < 400; i++)
            answers.add(new CompletableResponseListener(client.newRequest(origin + "busy" + i)).send());
        for (int i = 0; i < answers.size(); i++)
            assertEquals("busy" + i, answers.get(i).get(20, TimeUnit.SECONDS).getContentAsString());
        assertTrue(connections.get() > 1, "the requests shared " + connections.get() + " connections");
    }

    /**
     * A new connection's first request costs no exception: no client certificate was asked for,
     * so none is asked of the session (Jetty's own end point asks, and both engines answer with an
     * SSLPeerUnverifiedException and its stack trace); the request still sees the session's
     * cipher suite and id.
     */
    @Test
    void aConnectionsFirstRequestDoesNotAskForClientCertificates() throws Exception
    {
        ServerConnector connector = startServer(answering(request ->
        {
            EndPoint.SslSessionData session = request.getConnectionMetaData().getConnection().getEndPoint().getSslSessionData();
            return request.getHttpURI().getScheme() + " " + session.cipherSuite() + " " + (session.sslSessionId().length() > 0) + " " + session.peerCertificates();
        }), SocketChannelEndPoint::new);
        String origin = "https://localhost:" + connector.getLocalPort() + "/";

        List<String> answers = new ArrayList<>();
        List<String> thrown = exceptionsServingNewConnections(origin, answers).stream()
            .filter(exception -> exception.type().equals(SSLPeerUnverifiedException.class.getName()))
            .map(Thrown::toString).toList();
        for (String answer : answers)
            assertTrue(answer.matches("https TLS_\\w+ true null"), answer);
        assertEquals(List.of(), thrown, "SSLPeerUnverifiedExceptions while serving three new connections");
    }

    /**
     * A Conscrypt server engine is set up without a thrown exception. Conscrypt looks up
     * {@code SSLParameters.getNamedGroups} and {@code setNamedGroups} (Java 20) by reflection in every
     * {@code get/setSSLParameters}, and Jetty calls both for every engine it makes, so on Java 17
     * each new connection threw and filled in two NoSuchMethodExceptions' stack traces
     * (2.5% of a new connection's CPU in the benchmark's profile).
     */
    @Test
    void aConscryptServerSetsUpNewConnectionsWithoutThrowing() throws Exception
    {
        registerConscrypt();
        ServerConnector connector = startServer(answering(request ->
            request.getConnectionMetaData().getProtocol() + " " + request.getConnectionMetaData().getConnection().getEndPoint().getSslSessionData().cipherSuite()),
            SocketChannelEndPoint::new, ssl -> ssl.setProvider("Conscrypt"));
        String origin = "https://localhost:" + connector.getLocalPort() + "/";

        List<String> answers = new ArrayList<>();
        List<String> thrown = exceptionsServingNewConnections(origin, answers).stream()
            // The client is the JDK's TLS: a Conscrypt frame is the server's. Left: Conscrypt's
            // snapshot of a closing session asks for the peer's certificates and catches the
            // exception itself (one per connection, inside Conscrypt).
            .filter(exception -> exception.frames().stream().anyMatch(frame -> frame.startsWith("org.conscrypt.")))
            .filter(exception -> !exception.frames().contains("org.conscrypt.SessionSnapshot.<init>"))
            .map(Thrown::toString).toList();
        for (String answer : answers)
            assertTrue(answer.matches("HTTP/1.1 TLS_\\w+"), answer);
        assertEquals(List.of(), thrown, "exceptions thrown in Conscrypt while serving three new connections");
    }

    /**
     * A Conscrypt engine's native state (BoringSSL's connection and its buffers) is freed when its
     * connection closes, also when the client resets the connection instead of closing TLS. Jetty
     * then closes only the engine's outbound side, and Conscrypt frees an engine when both sides
     * are closed or else in its finalizer: a quarter of the benchmark's new connections (clients
     * that reset) held their native memory until a collection found the engine.
     */
    @ParameterizedTest
    @ValueSource(strings = {"close_notify", "FIN", "RST"})
    void aConscryptEngineIsClosedWithItsConnection(String clientCloses) throws Exception
    {
        registerConscrypt();
        CompletableFuture<SslConnection> served = new CompletableFuture<>();
        ServerConnector connector = startServer(answering(request ->
        {
            served.complete(((SslConnection.SslEndPoint)request.getConnectionMetaData().getConnection().getEndPoint()).getSslConnection());
            return "answer";
        }), SocketChannelEndPoint::new, ssl -> ssl.setProvider("Conscrypt"));
        SSLContext clientContext = clientContext();

        Socket plain = new Socket("127.0.0.1", connector.getLocalPort());
        plain.setSoTimeout(5000);
        // Not closing the TLS layer, but the socket under it, sends no close_notify.
        SSLSocket socket = (SSLSocket)clientContext.getSocketFactory().createSocket(plain, "localhost", connector.getLocalPort(), false);
        socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        String response = new String(readUntil(socket.getInputStream(), "answer"), StandardCharsets.US_ASCII);
        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        switch (clientCloses)
        {
            case "close_notify" -> socket.close();
            case "RST" ->
            {
                plain.setSoLinger(true, 0);
                plain.close();
            }
            default -> plain.close();
        }
        plain.close();
        SSLEngine engine = served.get(5, TimeUnit.SECONDS).getSSLEngine();
        EndPoint network = served.get().getEndPoint();
        // The end point closes first; the connection's onClose, which closes the engine, runs
        // after it on the selector's thread, so wait for both rather than the socket alone.
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
             (network.isOpen() || !engine.isInboundDone() || !engine.isOutboundDone()) && System.nanoTime() < deadline; )
            Thread.sleep(10);

        assertTrue(engine.getClass().getName().startsWith("org.conscrypt."), engine.getClass().getName());
        assertTrue(!network.isOpen(), "the server closed the connection");
        assertEquals("inbound done, outbound done", (engine.isInboundDone() ? "inbound done" : "inbound open") + ", " + (engine.isOutboundDone() ? "outbound done" : "outbound open"));
    }

    /** Reads until the text has arrived (bounded by the socket's read timeout). */
    private static byte[] readUntil(InputStream input, String text) throws IOException
    {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        byte[] chunk = new byte[1024];
        while (!read.toString(StandardCharsets.US_ASCII).contains(text))
        {
            int count = input.read(chunk);
            if (count < 0)
                break;
            read.write(chunk, 0, count);
        }
        return read.toByteArray();
    }

    /**
     * The Conscrypt engine made without reading its parameters back (above) is configured as
     * Jetty's own {@code newSSLEngine} configures one: protocols, cipher suites and their order,
     * client authentication, the SNI matcher that picks certificates by alias.
     */
    @Test
    void aConscryptServerEngineIsConfiguredAsJettyConfiguresIt() throws Exception
    {
        registerConscrypt();
        ServerConnector connector = startServer(answering(request -> ""), SocketChannelEndPoint::new, ssl ->
        {
            ssl.setProvider("Conscrypt");
            ssl.setIncludeProtocols("TLSv1.2");
            ssl.setIncludeCipherSuites("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
            ssl.setUseCipherSuitesOrder(false);
            ssl.setWantClientAuth(true);
        });
        RecordBatchingSslConnectionFactory factory = connector.getConnectionFactory(RecordBatchingSslConnectionFactory.class);
        SSLEngine jettys = factory.getSslContextFactory().newSSLEngine();
        jettys.setUseClientMode(false);

        SSLEngine ours = ((SslConnection)factory.newConnection(connector, new ByteArrayEndPoint())).getSSLEngine();

        assertTrue(ours.getClass().getName().startsWith("org.conscrypt."), ours.getClass().getName());
        assertEquals(configuration(jettys), configuration(ours));
        assertEquals("[TLSv1.2] [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256] server want false AliasSNIMatcher",
            configuration(ours).substring(0, configuration(ours).lastIndexOf(' ')));
    }

    private static String configuration(SSLEngine engine)
    {
        SSLParameters parameters = engine.getSSLParameters();
        return Arrays.toString(engine.getEnabledProtocols()) + " " + Arrays.toString(engine.getEnabledCipherSuites()) + " " +
            (engine.getUseClientMode() ? "client" : "server") + " " + (engine.getNeedClientAuth() ? "need" : engine.getWantClientAuth() ? "want" : "none") + " " +
            parameters.getUseCipherSuitesOrder() + " " +
            (parameters.getSNIMatchers() == null ? "no-matcher" : parameters.getSNIMatchers().stream().map(matcher -> matcher.getClass().getSimpleName()).collect(Collectors.joining(","))) + " " +
            parameters.getEndpointIdentificationAlgorithm();
    }

    /** A thrown exception: its class, and its stack as {@code type.method} frames, innermost first. */
    private record Thrown(String type, List<String> frames)
    {
        @Override
        public String toString()
        {
            return type + " at " + String.join(" < ", frames.subList(0, Math.min(12, frames.size())));
        }
    }

    /**
     * The exceptions thrown in this JVM (JFR's {@code jdk.JavaExceptionThrow}), but for the
     * finalizer's, while three clients,
     * each with a connection of its own and so a full handshake, GET the origin once; their
     * answers are added to {@code answers}.
     */
    private List<Thrown> exceptionsServingNewConnections(String origin, List<String> answers) throws Exception
    {
        Path events = Files.createTempFile("exceptions", ".jfr");
        try (Recording recording = new Recording())
        {
            recording.enable("jdk.JavaExceptionThrow").withStackTrace();
            recording.start();
            for (int i = 0; i < 3; i++)
            {
                HttpClient client = batchingClient(new HttpClient().getResponseBufferSize());
                answers.add(client.GET(origin).getContentAsString());
                client.stop();
            }
            recording.stop();
            recording.dump(events);
            List<Thrown> thrown = new ArrayList<>();
            for (RecordedEvent event : RecordingFile.readAllEvents(events))
            {
                // The finalizer frees engines other tests in this JVM left to it (Conscrypt's
                // finalize snapshots the session and asks for peer certificates): not these
                // connections' work, and whenever a collection happens to run it.
                if (event.getThread() != null && "Finalizer".equals(event.getThread().getJavaName()))
                    continue;
                RecordedClass type = event.getClass("thrownClass");
                List<String> frames = event.getStackTrace() == null ? List.of() : event.getStackTrace().getFrames().stream()
                    .map(frame -> frame.getMethod().getType().getName() + "." + frame.getMethod().getName()).toList();
                thrown.add(new Thrown(type == null ? "?" : type.getName(), frames));
            }
            return thrown;
        }
        finally
        {
            Files.deleteIfExists(events);
        }
    }

    /** A handler answering every request with the text {@code answer} makes of it. */
    private static Handler answering(Function<Request, String> answer)
    {
        return new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, org.eclipse.jetty.server.Response response, Callback callback)
            {
                response.write(true, ByteBuffer.wrap(answer.apply(request).getBytes(StandardCharsets.US_ASCII)), callback);
                return true;
            }
        };
    }

    /** The JDK's TLS for a client, trusting the test authority. */
    private static SSLContext clientContext() throws Exception
    {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(AUTHORITY.trustStore());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private static void registerConscrypt()
    {
        if (Security.getProvider("Conscrypt") == null)
            Security.addProvider(Conscrypt.newProvider());
    }

    /** Waits until the count has not changed for 100 ms (the server's last read after a response). */
    private static int settled(AtomicInteger count) throws InterruptedException
    {
        int last = count.get();
        while (true)
        {
            Thread.sleep(100);
            int now = count.get();
            if (now == last)
                return now;
            last = now;
        }
    }

    /**
     * Real sockets: the large buffers go to streams only. Small requests and responses (and the
     * handshake) take Jetty's one-packet TLS buffers, as Jetty's own connection does; a 1 MiB
     * response takes large write buffers, a 1 MiB upload large read buffers.
     */
    @Test
    void onlyStreamsTakeTheLargeBuffers() throws Exception
    {
        byte[] large = PatternContent.bytes(0, 1024 * 1024);
        List<Integer> directAcquisitions = java.util.Collections.synchronizedList(new ArrayList<>());
        ArrayByteBufferPool recording = new ArrayByteBufferPool()
        {
            @Override
            public org.eclipse.jetty.io.RetainableByteBuffer.Mutable acquire(int size, boolean direct)
            {
                // Only the TLS connection asks for direct buffers here (HTTP uses heap ones).
                if (direct)
                    directAcquisitions.add(size);
                return super.acquire(size, direct);
            }
        };
        Server server = new Server(new org.eclipse.jetty.util.thread.QueuedThreadPool(), null, recording);
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(SERVER_KEYS);
        ssl.setKeyStorePassword(TestCertificates.PASSWORD);
        HttpConnectionFactory http = new HttpConnectionFactory();
        http.setUseInputDirectByteBuffers(false);
        http.setUseOutputDirectByteBuffers(false);
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, http.getProtocol()), http);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        RecordBatchingSslConnectionFactory.replaceIn(server.getConnectors());
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, org.eclipse.jetty.server.Response response, Callback callback) throws Exception
            {
                long read = 0;
                try (InputStream body = Request.asInputStream(request))
                {
                    read = body.transferTo(java.io.OutputStream.nullOutputStream());
                }
                byte[] answer = request.getHttpURI().getPath().equals("/large") ? large : ("read " + read).getBytes(StandardCharsets.US_ASCII);
                response.getHeaders().put("Content-Length", answer.length);
                response.write(true, ByteBuffer.wrap(answer), callback);
                return true;
            }
        });
        server.start();
        started.add(server::stop);
        HttpClient client = batchingClient(new HttpClient().getResponseBufferSize());
        String origin = "https://localhost:" + connector.getLocalPort();

        for (int i = 0; i < 20; i++)
            assertEquals("read 0", client.GET(origin + "/small").getContentAsString());
        assertEquals("read 3000", client.POST(origin + "/small").body(new org.eclipse.jetty.client.BytesRequestContent(new byte[3000])).send().getContentAsString());
        assertTrue(!directAcquisitions.isEmpty() && directAcquisitions.stream().allMatch(size -> size < 32 * 1024),
            "small exchanges and the handshake: " + directAcquisitions);

        directAcquisitions.clear();
        assertArrayEquals(large, client.GET(origin + "/large").getContent());
        assertTrue(directAcquisitions.contains(RecordBatchingSslConnection.BUFFER_BYTES), "a download writes with large buffers: " + directAcquisitions);

        directAcquisitions.clear();
        org.eclipse.jetty.client.ContentResponse upload = client.POST(origin + "/small").body(new org.eclipse.jetty.client.BytesRequestContent(large)).send();
        assertEquals("read " + large.length, upload.getContentAsString());
        // Its reads filled their buffer, so the connection counts as receiving a stream; whether the
        // upload itself moves to a large buffer depends on timing: Jetty keeps a read buffer while
        // it holds part of a record, and only a buffer acquired anew can be larger.

        directAcquisitions.clear();
        // Each small exchange reads once; after STREAM_CREDIT such reads the connection is back to small buffers.
        for (int i = 0; i < RecordBatchingSslConnection.STREAM_CREDIT + 3; i++)
            assertEquals("read 0", client.GET(origin + "/small").getContentAsString());
        List<Integer> afterwards = List.copyOf(directAcquisitions);
        assertTrue(afterwards.get(0) == RecordBatchingSslConnection.BUFFER_BYTES, "the stream's credit still holds at first: " + afterwards);
        assertTrue(afterwards.subList(afterwards.size() - 4, afterwards.size()).stream().allMatch(size -> size < 32 * 1024),
            "small exchanges after the stream go back to small buffers: " + afterwards);
    }

    /** A started HTTP/1.1 client whose TLS connections batch too, trusting the test authority. */
    /** Network end points of a test server's connector, made by the test to watch them. */
    private interface EndPoints
    {
        SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, org.eclipse.jetty.util.thread.Scheduler scheduler);
    }

    /** Starts a server over TLS with Gatehouse's connection on 127.0.0.1, its end points made by {@code endPoints}. */
    private ServerConnector startServer(Handler handler, EndPoints endPoints) throws Exception
    {
        return startServer(handler, endPoints, ssl -> { });
    }

    /** The same, its TLS configured by {@code tls} too (the JDK's unless it names a provider). */
    private ServerConnector startServer(Handler handler, EndPoints endPoints, Consumer<SslContextFactory.Server> tls) throws Exception
    {
        Server server = new Server();
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        tls.accept(ssl);
        ssl.setKeyStore(SERVER_KEYS);
        ssl.setKeyStorePassword(TestCertificates.PASSWORD);
        HttpConnectionFactory http = new HttpConnectionFactory();
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, http.getProtocol()), http)
        {
            @Override
            protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key)
            {
                SocketChannelEndPoint endPoint = endPoints.newEndPoint(channel, selector, key, getScheduler());
                endPoint.setIdleTimeout(getIdleTimeout());
                return endPoint;
            }
        };
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        RecordBatchingSslConnectionFactory.replaceIn(server.getConnectors());
        server.setHandler(handler);
        server.start();
        started.add(server::stop);
        return connector;
    }

    private HttpClient batchingClient(int responseBufferSize) throws Exception
    {
        ClientConnector clientConnector = new RecordBatchingSslConnectionFactory.BatchingClientConnector();
        SslContextFactory.Client clientTls = new SslContextFactory.Client();
        clientTls.setTrustStore(AUTHORITY.trustStore());
        clientConnector.setSslContextFactory(clientTls);
        HttpClient client = new HttpClient(new org.eclipse.jetty.client.transport.HttpClientTransportDynamic(clientConnector,
            org.eclipse.jetty.client.transport.HttpClientConnectionFactory.HTTP11));
        client.setResponseBufferSize(responseBufferSize);
        client.start();
        started.add(client::stop);
        return client;
    }

    private static long remaining(ByteBuffer[] buffers)
    {
        long remaining = 0;
        for (ByteBuffer buffer : buffers)
            remaining += buffer.remaining();
        return remaining;
    }

    private static int recordsIn(ByteBuffer wire)
    {
        int records = 0;
        for (int at = wire.position(); at < wire.limit(); records++)
            at += recordBytesAt(wire, at);
        return records;
    }

    /** A TLS record's size on the wire: its 5-byte header and the length the header gives. */
    private static int recordBytesAt(ByteBuffer wire, int at)
    {
        return 5 + (((wire.get(at + 3) & 0xFF) << 8) | (wire.get(at + 4) & 0xFF));
    }

    /** {@code records}, then all but the last {@code missing} bytes of {@code partial}: what one read may bring. */
    private static ByteBuffer readSoFar(ByteBuffer records, ByteBuffer partial, int missing, boolean direct)
    {
        int size = records.remaining() + partial.remaining() - missing;
        ByteBuffer input = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
        return input.put(records).put(partial.limit(partial.limit() - missing)).flip();
    }

    /** Conscrypt's per-engine copy buffer ({@code ConscryptEngine.lazyDirectBuffer}), behind its JDK 8 wrapper. */
    private static Object conscryptOwnDirectBuffer(SSLEngine engine) throws ReflectiveOperationException
    {
        Object target = engine;
        for (int depth = 0; depth < 3; depth++)
        {
            Field lazy = field(target.getClass(), "lazyDirectBuffer");
            if (lazy != null)
                return lazy.get(target);
            Field delegate = field(target.getClass(), "delegate");
            if (delegate == null)
                break;
            target = delegate.get(target);
        }
        throw new AssertionError("no lazyDirectBuffer in " + engine.getClass() + ": has Conscrypt changed? (the pinned version is the one tested)");
    }

    private static Field field(Class<?> type, String name)
    {
        for (Class<?> c = type; c != null; c = c.getSuperclass())
        {
            for (Field field : c.getDeclaredFields())
            {
                if (field.getName().equals(name))
                {
                    field.setAccessible(true);
                    return field;
                }
            }
        }
        return null;
    }

    private static byte[] bytes(ByteBuffer buffer)
    {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static byte[] concat(byte[] first, byte[] second)
    {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    /** Exposes the connection's wrap and unwrap; its end point is never used. */
    private static final class Exposed extends RecordBatchingSslConnection
    {
        Exposed(SSLEngine engine)
        {
            super(new ArrayByteBufferPool(), Runnable::run, null, new ByteArrayEndPoint(), engine);
        }

        @Override
        public SSLEngineResult wrap(SSLEngine engine, ByteBuffer[] input, ByteBuffer output) throws SSLException
        {
            return super.wrap(engine, input, output);
        }

        @Override
        public SSLEngineResult unwrap(SSLEngine engine, ByteBuffer input, ByteBuffer output) throws SSLException
        {
            return super.unwrap(engine, input, output);
        }
    }

    /** A client and a server engine, handshaken in memory. */
    private record EnginePair(SSLEngine client, SSLEngine server)
    {
        static EnginePair connected(String protocol) throws Exception
        {
            return connected(protocol, null);
        }

        /** @param serverProvider the server engine's provider; {@code null}: the JDK's */
        static EnginePair connected(String protocol, Provider serverProvider) throws Exception
        {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(SERVER_KEYS, TestCertificates.PASSWORD.toCharArray());
            SSLContext serverContext = serverProvider == null ? SSLContext.getInstance("TLS") : SSLContext.getInstance("TLS", serverProvider);
            serverContext.init(keys.getKeyManagers(), null, null);
            SSLContext clientContext = clientContext();

            SSLEngine server = serverContext.createSSLEngine();
            server.setUseClientMode(false);
            server.setEnabledProtocols(new String[]{protocol});
            SSLEngine client = clientContext.createSSLEngine("localhost", 443);
            client.setUseClientMode(true);
            client.setEnabledProtocols(new String[]{protocol});
            EnginePair pair = new EnginePair(client, server);
            pair.handshake();
            return pair;
        }

        private void handshake() throws SSLException
        {
            // Direct, as Jetty's encrypted buffers are: Conscrypt copies heap buffers through one of its own.
            ByteBuffer toServer = ByteBuffer.allocateDirect(64 * 1024);
            ByteBuffer toClient = ByteBuffer.allocateDirect(64 * 1024);
            ByteBuffer sink = ByteBuffer.allocateDirect(64 * 1024);
            client.beginHandshake();
            server.beginHandshake();
            for (int step = 0; step < 100; step++)
            {
                boolean progress = step(client, toServer, toClient, sink) | step(server, toClient, toServer, sink);
                if (!progress && toServer.position() == 0 && toClient.position() == 0 && done(client) && done(server))
                    return;
            }
            throw new IllegalStateException("no handshake in 100 steps: " + client.getHandshakeStatus() + " / " + server.getHandshakeStatus());
        }

        private static boolean done(SSLEngine engine)
        {
            return engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;
        }

        /** One step of an engine: run tasks, wrap what it must send, unwrap what it was sent. */
        private static boolean step(SSLEngine engine, ByteBuffer out, ByteBuffer in, ByteBuffer sink) throws SSLException
        {
            boolean progress = false;
            Runnable task;
            while ((task = engine.getDelegatedTask()) != null)
            {
                task.run();
                progress = true;
            }
            if (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP)
                progress |= engine.wrap(ByteBuffer.allocate(0), out).bytesProduced() > 0;
            in.flip();
            while (in.hasRemaining())
            {
                SSLEngineResult result = engine.unwrap(in, sink);
                sink.clear();
                if (result.bytesConsumed() == 0)
                    break;
                progress = true;
                if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK)
                    break;
            }
            in.compact();
            return progress;
        }

        /** The client's records for {@code content}, {@code chunk} bytes per record. */
        ByteBuffer encryptAtClient(byte[] content, int chunk) throws SSLException
        {
            // The engine wraps only with a whole packet of room left, whatever the record's size.
            ByteBuffer wire = ByteBuffer.allocate(content.length + client.getSession().getPacketBufferSize() + 1024 * (content.length / chunk + 1));
            for (int at = 0; at < content.length; at += chunk)
            {
                SSLEngineResult result = client.wrap(ByteBuffer.wrap(content, at, Math.min(chunk, content.length - at)), wire);
                assertEquals(Math.min(chunk, content.length - at), result.bytesConsumed());
            }
            return wire.flip();
        }

        /** Decrypts every record in {@code wire} at the client, one record per call as Jetty does. */
        byte[] decryptAtClient(ByteBuffer wire) throws SSLException
        {
            ByteBuffer plain = ByteBuffer.allocate(256 * 1024);
            while (wire.hasRemaining())
            {
                SSLEngineResult result = client.unwrap(wire, plain);
                if (result.bytesConsumed() == 0)
                    throw new IllegalStateException("client could not unwrap: " + result);
            }
            return bytes(plain.flip());
        }
    }
}
