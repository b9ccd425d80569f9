package dev.gatehouse.core.tls;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLEngineResult.Status;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.StringUtil;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Jetty {@link SslConnection} that moves several TLS records per system call instead of one.
 *
 * <p>Jetty's connection wraps one record per {@code write} and unwraps one record per {@code read},
 * because {@link SSLEngine} handles one record per call and Jetty sizes its buffers for one
 * packet. A proxied download is then two reads and four writes per 16 KiB, not counting the
 * short records: the JDK's TLS 1.3 records carry at most 16,367 bytes, so every 16,384-byte
 * chunk leaves as a full record plus a 17-byte one, each in its own {@code writev}. Here the
 * encrypted buffers are {@value #BUFFER_BYTES} bytes (the largest size Jetty's default pools keep)
 * and {@link #wrap} and {@link #unwrap} go on while the buffers have room: a download moves
 * about 48 KiB per read and per write. Nothing waits for more data; only what the application
 * already flushed, or what one read already brought, is batched, so latency is unchanged.</p>
 *
 * <p>The large buffers are for streams only. A write takes them when it offers more than one
 * record of data; a read takes them once a read has filled its buffer or brought more than one
 * record, until {@value #STREAM_CREDIT} reads in a row bring one record or less. Otherwise the
 * buffers are Jetty's one-packet ones, so connections of small requests and responses, the
 * handshakes of new connections, and the hundreds of upstream connections an HTTP/2 front opens
 * (one per concurrent stream) hold what they would hold with Jetty's own connection. A read buffer
 * is sized when acquired, and Jetty keeps it while it holds part of a record: a stream that starts
 * on a small one may keep it (peak RSS under scripts/bench: 244 MiB with this sizing, 327 MiB with
 * large read buffers always).</p>
 *
 * <p>Only records of application data are batched: the loop stops at anything that is not a
 * plain {@code OK} without a handshake in progress, and returns that to Jetty on the next call,
 * so handshakes, key updates, session tickets and {@code close_notify} take Jetty's own path. A
 * failure after some records were already processed is reported on the next call, so the
 * records before it are not lost.</p>
 *
 * <p>Buffers for the engine: the JDK's engine works on pooled heap copies of the direct socket
 * buffers (its AES-GCM is faster on heap arrays). Any other engine (Conscrypt, the
 * gatehouse-conscrypt module) works in native memory and copies whatever is not one direct
 * buffer into a 16 KiB direct buffer of its own, one per engine, freed only when the collector
 * finds the engine: so it gets the direct buffers as they are, direct decryption buffers, and
 * writes of several buffers (an HTTP/1.1 response's header and body) gathered into one pooled
 * direct buffer.</p>
 *
 * <p>It also skips reads that cannot find anything: after a read that found the socket empty, the
 * next one waits for the selector to report the socket readable (see {@link #networkFill}), which
 * takes one of the two failing reads Jetty makes after each keep-alive response. And a connection's
 * first request does not ask the session for client certificates that were never requested (see
 * {@code OfferAwareEndPoint.getSslSessionData}).</p>
 */
public class RecordBatchingSslConnection extends SslConnection
{
    private static final Logger LOG = LoggerFactory.getLogger(RecordBatchingSslConnection.class);

    /** The encrypted buffers' size: three full records, the largest Jetty's default pools keep. */
    public static final int BUFFER_BYTES = 64 * 1024;
    /** RFC 8446 5.2: a record's protection adds at most 256 bytes; plus its 5-byte header. */
    private static final int MAX_RECORD_OVERHEAD = 256 + 5;
    private static final int RECORD_HEADER_BYTES = 5;
    /** The most plaintext one record carries (RFC 8446 5.1); a call moving more is a stream. */
    private static final int RECORD_PAYLOAD_BYTES = 16 * 1024;
    /** How many reads in a row of one record or less end a stream (see the class comment). */
    public static final int STREAM_CREDIT = 8;

    private final ByteBufferPool pool;
    /** The JDK's engine: it gets heap copies (any other gets direct buffers) and holds nothing native. */
    private final boolean jdkEngine;
    private final StreamSizedBuffers buffers;
    private SSLException pendingWrapFailure;
    private SSLException pendingUnwrapFailure;
    /**
     * The socket's last read found nothing and the selector has not reported it readable since:
     * another read now would find nothing too (see {@link #networkFill}).
     */
    private volatile boolean socketDrained;
    /** The last session and host name the SNI check accepted here (see {@link SniCheckPerConnection}). */
    private volatile SniCheckPerConnection.Accepted sniAccepted;

    public RecordBatchingSslConnection(ByteBufferPool pool, Executor executor, SslContextFactory sslContextFactory, EndPoint endPoint, SSLEngine engine)
    {
        // Direct encrypted buffers: the socket reads and writes them as they are. With Jetty's
        // default heap buffers the JDK copies every read and write through a direct buffer it
        // caches per thread and per size: at 64 KiB, 15-21 MiB more peak RSS across the pool's
        // threads. But the JDK's AES-GCM is ~25% slower on direct buffers (a separate path that
        // copies in small chunks and re-initialises the cipher), so wrap and unwrap stage the
        // records through a pooled heap buffer: one copy, the one the JDK would have made.
        this(new StreamSizedBuffers(pool), pool, executor, sslContextFactory, endPoint, engine);
    }

    private RecordBatchingSslConnection(StreamSizedBuffers buffers, ByteBufferPool pool, Executor executor, SslContextFactory sslContextFactory, EndPoint endPoint, SSLEngine engine)
    {
        super(buffers, executor, sslContextFactory, endPoint, engine, true, !isJdkEngine(engine));
        this.jdkEngine = isJdkEngine(engine);
        this.pool = pool;
        this.buffers = buffers;
    }

    private static boolean isJdkEngine(SSLEngine engine)
    {
        return engine.getClass().getName().startsWith("sun.security.ssl.");
    }

    /**
     * Answers "nothing" without a system call when the socket's last read found nothing and the
     * selector has not reported it readable since. Jetty's HTTP/1.1 connection reads again at once
     * when a read brings nothing ("a retry for SSL connections"), so every keep-alive request cost
     * two reads that could only fail. Nothing can be missed: a fill that returns nothing is
     * followed by fill interest, and the selector's epoll is level-triggered, so bytes that came
     * in between are reported at once and {@link #onFillable} reads them.
     */
    @Override
    protected int networkFill(ByteBuffer input) throws IOException
    {
        if (socketDrained)
            return 0;
        int filled = super.networkFill(input);
        socketDrained = filled == 0;
        return filled;
    }

    @Override
    public void onFillable()
    {
        socketDrained = false;
        super.onFillable();
    }

    SniCheckPerConnection.Accepted sniAccepted()
    {
        return sniAccepted;
    }

    void sniAccepted(SniCheckPerConnection.Accepted accepted)
    {
        sniAccepted = accepted;
    }

    @Override
    public void onFillInterestedFailed(Throwable cause)
    {
        socketDrained = false;
        super.onFillInterestedFailed(cause);
    }

    /**
     * Also closes the engine's inbound side if the peer never did, so that Conscrypt frees the
     * engine's native state (BoringSSL's connection and its buffers) now. When a client closes
     * or resets its socket without TLS's close_notify, Jetty closes only the outbound side, and
     * Conscrypt frees an engine when both sides are closed, or else in its finalizer, after a
     * collection has found it: in the benchmark a quarter of the new connections' engines waited
     * for that. The JDK's engine holds nothing native, and its {@code closeInbound} would throw
     * (a truncation alert) for nothing, so it is left to Jetty.
     */
    @Override
    public void onClose(Throwable cause)
    {
        super.onClose(cause);
        SSLEngine engine = getSSLEngine();
        if (jdkEngine || engine.isInboundDone())
            return;
        try
        {
            engine.closeInbound();
        }
        catch (SSLException | RuntimeException e)
        {
            LOG.debug("Closing the TLS engine's inbound side failed {}", this, e);
        }
    }

    @Override
    protected SslEndPoint newSslEndPoint()
    {
        return new OfferAwareEndPoint();
    }

    /**
     * Tells the buffers, while Jetty flushes, how much the application offered: Jetty acquires the
     * encrypted output buffer inside {@code flush}, before any wrap. Also gives the session's data
     * without a look for client certificates nobody asked for.
     */
    private final class OfferAwareEndPoint extends SslEndPoint
    {
        private SslSessionData sessionData;

        /**
         * Jetty's version asks the session for the client's certificates on every connection's
         * first request, and without client authentication both engines answer with an
         * SSLPeerUnverifiedException and its stack trace (1% of the CPU of a new connection with
         * one request). A client that was not asked for a certificate has none to give.
         */
        @Override
        public SslSessionData getSslSessionData()
        {
            SslSessionData data = sessionData;
            if (data != null)
                return data;
            SSLEngine engine = getSSLEngine();
            if (engine.getNeedClientAuth() || engine.getWantClientAuth())
                return super.getSslSessionData();
            SSLSession session = engine.getSession();
            data = SslSessionData.from(session, StringUtil.toHexString(session.getId()), session.getCipherSuite(), null);
            sessionData = data;
            return data;
        }

        @Override
        public boolean flush(ByteBuffer... appOuts) throws IOException
        {
            long[] offer = StreamSizedBuffers.OFFERED.get();
            long outer = offer[0];
            offer[0] = remaining(appOuts);
            try
            {
                return super.flush(appOuts);
            }
            finally
            {
                offer[0] = outer;
            }
        }
    }

    @Override
    protected SSLEngineResult wrap(SSLEngine engine, ByteBuffer[] input, ByteBuffer output) throws SSLException
    {
        if (pendingWrapFailure != null)
            throw takeWrapFailure();
        if (!output.isDirect() || !jdkEngine)
            return wrapRecords(engine, input, output);
        RetainableByteBuffer staging = pool.acquire(output.remaining(), false);
        try
        {
            ByteBuffer records = staging.getByteBuffer();
            records.clear().limit(output.remaining());
            SSLEngineResult result = wrapRecords(engine, input, records);
            output.put(records.flip());
            return result;
        }
        finally
        {
            staging.release();
        }
    }

    private SSLEngineResult wrapRecords(SSLEngine engine, ByteBuffer[] input, ByteBuffer output) throws SSLException
    {
        SSLEngineResult first = wrapRecord(engine, input, output);
        if (!isPlainData(first))
            return first;
        int consumed = first.bytesConsumed();
        int produced = first.bytesProduced();
        SSLEngineResult last = first;
        // The engine refuses to wrap unless a whole packet (~16.7 KiB) of room is left, whatever
        // it will write; the last short record of a write is therefore wrapped aside and copied in
        // when it is sure to fit.
        while (remaining(input) > 0)
        {
            int room = output.remaining();
            SSLEngineResult next;
            try
            {
                if (room >= engine.getSession().getPacketBufferSize())
                    next = wrapRecord(engine, input, output);
                else if (remaining(input) + MAX_RECORD_OVERHEAD <= room)
                    next = wrapAside(engine, input, output);
                else
                    break;
            }
            catch (SSLException failure)
            {
                pendingWrapFailure = failure;
                break;
            }
            if (next.getStatus() == Status.BUFFER_OVERFLOW || next.bytesConsumed() == 0 && next.bytesProduced() == 0)
                break;
            consumed += next.bytesConsumed();
            produced += next.bytesProduced();
            last = next;
            if (!isPlainData(next))
                break;
        }
        return last == first ? first : new SSLEngineResult(last.getStatus(), last.getHandshakeStatus(), consumed, produced);
    }

    /**
     * One record; for an engine other than the JDK's, input that is not one direct buffer is
     * gathered into a pooled direct buffer first (see the class comment).
     */
    private SSLEngineResult wrapRecord(SSLEngine engine, ByteBuffer[] input, ByteBuffer output) throws SSLException
    {
        if (jdkEngine || isOneDirectBuffer(input))
            return engine.wrap(input, output);
        RetainableByteBuffer gathered = pool.acquire(RECORD_PAYLOAD_BYTES, true);
        try
        {
            ByteBuffer plain = gathered.getByteBuffer();
            plain.clear();
            for (int i = 0; i < input.length && plain.hasRemaining(); i++)
            {
                ByteBuffer part = input[i].slice();
                part.limit(Math.min(part.limit(), plain.remaining()));
                plain.put(part);
            }
            SSLEngineResult result = engine.wrap(plain.flip(), output);
            int consumed = result.bytesConsumed();
            for (int i = 0; i < input.length && consumed > 0; i++)
            {
                int taken = Math.min(consumed, input[i].remaining());
                input[i].position(input[i].position() + taken);
                consumed -= taken;
            }
            return result;
        }
        finally
        {
            gathered.release();
        }
    }

    private static boolean isOneDirectBuffer(ByteBuffer[] input)
    {
        ByteBuffer only = null;
        for (ByteBuffer buffer : input)
        {
            if (!buffer.hasRemaining())
                continue;
            if (only != null)
                return false;
            only = buffer;
        }
        return only == null || only.isDirect();
    }

    private SSLEngineResult wrapAside(SSLEngine engine, ByteBuffer[] input, ByteBuffer output) throws SSLException
    {
        RetainableByteBuffer aside = pool.acquire(engine.getSession().getPacketBufferSize(), !jdkEngine);
        try
        {
            ByteBuffer record = aside.getByteBuffer();
            record.clear();
            SSLEngineResult result = wrapRecord(engine, input, record);
            record.flip();
            if (record.remaining() > output.remaining())
                throw new SSLException("a TLS record of " + record.remaining() + " bytes does not fit the " + output.remaining() + " bytes left; expected at most " +
                    (result.bytesConsumed() + MAX_RECORD_OVERHEAD));
            output.put(record);
            return result;
        }
        finally
        {
            aside.release();
        }
    }

    @Override
    protected SSLEngineResult unwrap(SSLEngine engine, ByteBuffer input, ByteBuffer output) throws SSLException
    {
        if (pendingUnwrapFailure != null)
            throw takeUnwrapFailure();
        // A read that filled its buffer probably left more in the socket.
        if (input.hasRemaining())
            buffers.observeRead(input.limit() == input.capacity() || input.remaining() > RECORD_PAYLOAD_BYTES + MAX_RECORD_OVERHEAD);
        if (!input.isDirect() || !input.hasRemaining() || !jdkEngine)
            return unwrapRecords(engine, input, output);
        RetainableByteBuffer staging = pool.acquire(input.remaining(), false);
        try
        {
            ByteBuffer records = staging.getByteBuffer();
            records.clear();
            records.put(input.duplicate()).flip();
            SSLEngineResult result = unwrapRecords(engine, records, output);
            input.position(input.position() + records.position());
            return result;
        }
        finally
        {
            staging.release();
        }
    }

    private SSLEngineResult unwrapRecords(SSLEngine engine, ByteBuffer input, ByteBuffer output) throws SSLException
    {
        SSLEngineResult first = engine.unwrap(input, output);
        if (!isPlainData(first) || first.bytesProduced() == 0)
            return first;
        int consumed = first.bytesConsumed();
        int produced = first.bytesProduced();
        SSLEngineResult last = first;
        while (hasWholeRecord(input) && output.remaining() >= nextRecordLength(input))
        {
            SSLEngineResult next;
            try
            {
                next = engine.unwrap(input, output);
            }
            catch (SSLException failure)
            {
                pendingUnwrapFailure = failure;
                break;
            }
            if (next.getStatus() == Status.BUFFER_OVERFLOW || next.getStatus() == Status.BUFFER_UNDERFLOW || next.bytesConsumed() == 0)
                break;
            consumed += next.bytesConsumed();
            produced += next.bytesProduced();
            // A closed or handshaking engine is seen again on the next call, where Jetty handles it.
            if (!isPlainData(next) || next.bytesProduced() == 0)
                break;
            last = next;
        }
        return last == first && consumed == first.bytesConsumed() ? first : new SSLEngineResult(Status.OK, last.getHandshakeStatus(), consumed, produced);
    }

    private static boolean isPlainData(SSLEngineResult result)
    {
        return result.getStatus() == Status.OK && result.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING;
    }

    private static boolean hasWholeRecord(ByteBuffer input)
    {
        return input.remaining() >= RECORD_HEADER_BYTES && input.remaining() >= RECORD_HEADER_BYTES + nextRecordLength(input);
    }

    private static int nextRecordLength(ByteBuffer input)
    {
        int at = input.position();
        return ((input.get(at + 3) & 0xFF) << 8) | (input.get(at + 4) & 0xFF);
    }

    private static long remaining(ByteBuffer[] buffers)
    {
        long remaining = 0;
        for (ByteBuffer buffer : buffers)
            remaining += buffer.remaining();
        return remaining;
    }

    private SSLException takeWrapFailure()
    {
        SSLException failure = pendingWrapFailure;
        pendingWrapFailure = null;
        return failure;
    }

    private SSLException takeUnwrapFailure()
    {
        SSLException failure = pendingUnwrapFailure;
        pendingUnwrapFailure = null;
        return failure;
    }

    /**
     * Jetty sizes its TLS buffers to one packet; for streams these hold several (see the class
     * comment). An acquisition inside a flush is for the encrypted output and sized by what the
     * flush offers; any other is for reading, sized by the reads so far. Jetty acquires and
     * unwraps under the connection's lock, so the read credit needs no synchronisation of its own.
     */
    private static final class StreamSizedBuffers extends ByteBufferPool.Wrapper
    {
        /**
         * What the current thread's flush offers, or -1 outside a flush; an array: no boxing. Per
         * thread, not per connection: Jetty's flush completes no callbacks, so nothing else acquires
         * on this thread meanwhile, and a mistake would only pick a buffer size.
         */
        static final ThreadLocal<long[]> OFFERED = ThreadLocal.withInitial(() -> new long[]{-1});

        private final int streamBytes;
        private int readCredit;

        StreamSizedBuffers(ByteBufferPool pool)
        {
            super(pool);
            // A buffer larger than the pool keeps would be allocated anew on every use.
            this.streamBytes = pool instanceof ArrayByteBufferPool array ? Math.min(BUFFER_BYTES, array.getMaxCapacity()) : BUFFER_BYTES;
        }

        void observeRead(boolean moreThanOneRecord)
        {
            readCredit = moreThanOneRecord ? STREAM_CREDIT : Math.max(0, readCredit - 1);
        }

        boolean receivingStream()
        {
            return readCredit > 0;
        }

        @Override
        public RetainableByteBuffer.Mutable acquire(int size, boolean direct)
        {
            long offered = OFFERED.get()[0];
            boolean stream = offered >= 0 ? offered > RECORD_PAYLOAD_BYTES : receivingStream();
            return super.acquire(stream ? Math.max(size, streamBytes) : size, direct);
        }
    }
}
