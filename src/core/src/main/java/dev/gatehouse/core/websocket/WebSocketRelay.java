package dev.gatehouse.core.websocket;

import java.time.Duration;

import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.AutoLock;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays one WebSocket between the client and the upstream, frame by frame.
 *
 * <p><b>Backpressure.</b> Core WebSocket has no auto-demand: an end reads its next frame only when
 * asked. Each end asks for one frame, sends it to the other end, and asks for the next only when that
 * send completed; the frame's network buffer is released at the same moment. So at most one frame per
 * direction is inside the proxy, and a slow reader stops the writer at TCP level. Frames larger than
 * the configured frame size arrive in pieces (core's auto-fragmentation), so "one frame" is bounded.</p>
 *
 * <p><b>Frames are rebuilt</b> as {@code new Frame(opcode, fin, payload)}: a received frame keeps
 * {@code isMasked()} after core unmasked it, and a server-side session refuses to send a masked frame.
 * Extensions (permessage-deflate) are negotiated by each side separately; the rebuilt frame carries
 * no RSV bits.</p>
 *
 * <p><b>Closing.</b> A CLOSE from one end is sent to the other and its callback held until the other
 * end answers, so the initiator receives the answer's code (or, if the other end went away instead,
 * its own code back, as core answers by default). An end that vanishes without a close handshake
 * (TCP reset, idle timeout, protocol error) makes the proxy close the other end: the client gets 1011
 * (1001 for an idle timeout), the upstream 1001. A quiet socket times out at the client's end first
 * ({@link WebSocketBridge#UPSTREAM_IDLE_MARGIN}). Core closes the connection right after sending any
 * code other than 1000, 1005 or 3000-4999 rather than wait for the answer; for 1000 and application
 * codes the answer must come within {@link #CLOSE_GRACE} of the proxy's CLOSE, or the connection is
 * dropped, so a silent peer holds nothing for the (long) idle timeout.</p>
 */
final class WebSocketRelay
{
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketRelay.class);
    static final Duration CLOSE_GRACE = Duration.ofSeconds(30);

    private final AutoLock lock = new AutoLock();
    private final long maxMessageSize;
    private final String description;
    final End client;
    final End upstream;

    WebSocketRelay(long maxMessageSize, String description)
    {
        this.maxMessageSize = maxMessageSize;
        this.description = description;
        this.client = new End(true);
        this.upstream = new End(false);
        client.peer = upstream;
        upstream.peer = client;
    }

    /**
     * The client upgrade will not happen (refused, failed, or the client left): closes the upstream.
     */
    void abandon()
    {
        CoreSession session;
        try (AutoLock ignored = lock.lock())
        {
            if (client.session != null)
                return;
            client.gone = true;
            if (upstream.session == null || upstream.gone || upstream.closeSent)
                return;
            upstream.closeSent = true;
            session = upstream.session;
        }
        // The upstream end never started reading: start, to consume the answer.
        close(session, CloseStatus.SHUTDOWN, null);
        session.demand();
    }

    /**
     * Sends CLOSE, then completes {@code held} (a CLOSE received from this end, if any). Each end
     * keeps reading until its CLOSE arrives (one demand or one frame in flight at any time), so
     * the answer, and anything still in flight before it, is consumed without a new demand here.
     */
    private void close(CoreSession session, int code, Callback held)
    {
        Callback done = Callback.from(() -> complete(held), failure -> complete(held));
        session.close(code, null, done);
        shortenIdleTimeout(session);
    }

    private static void shortenIdleTimeout(CoreSession session)
    {
        try
        {
            if (session.getIdleTimeout().compareTo(CLOSE_GRACE) > 0)
                session.setIdleTimeout(CLOSE_GRACE);
        }
        catch (RuntimeException e)
        {
            // already closed: nothing to time out
            LOG.trace("ignored", e);
        }
    }

    private static void complete(Callback callback)
    {
        if (callback != null)
            callback.succeeded();
    }

    /**
     * Closes every end that has not been sent CLOSE yet, after a failure on the relay itself.
     *
     * @param offender the end whose message broke a limit, which gets {@code offenderCode}; or null
     */
    private void teardown(End offender, int offenderCode)
    {
        CoreSession[] sessions = new CoreSession[2];
        Callback[] held = new Callback[2];
        End[] ends = {client, upstream};
        try (AutoLock ignored = lock.lock())
        {
            for (int i = 0; i < 2; i++)
            {
                End end = ends[i];
                if (end.session == null || end.gone || end.closeSent)
                    continue;
                end.closeSent = true;
                sessions[i] = end.session;
                held[i] = end.heldClose;
                end.heldClose = null;
            }
        }
        for (int i = 0; i < 2; i++)
        {
            if (sessions[i] == null)
                continue;
            int code = ends[i] == offender ? offenderCode : ends[i].lostPeerCode(CloseStatus.NO_CLOSE);
            close(sessions[i], code, held[i]);
        }
    }

    /**
     * One end of the relay. The client end is the server-side session the browser talks to; the
     * upstream end is the client-side session to the app.
     */
    final class End implements FrameHandler
    {
        private final boolean clientFacing;
        private End peer;
        // Guarded by the relay's lock.
        private CoreSession session;
        /** CLOSE was sent (or is being sent) to this end: nothing else may follow. */
        private boolean closeSent;
        /** The connection of this end is closed. */
        private boolean gone;
        /** The callback of a CLOSE this end sent, held until the peer's answer is relayed back. */
        private Callback heldClose;
        // Touched only from onFrame, which core never calls concurrently for one session.
        private long messageBytes;

        private End(boolean clientFacing)
        {
            this.clientFacing = clientFacing;
        }

        /**
         * @return the code this end gets when its peer ended without a close handshake
         */
        private int lostPeerCode(int peerStatus)
        {
            if (!clientFacing)
                return CloseStatus.SHUTDOWN;
            return peerStatus == CloseStatus.SHUTDOWN ? CloseStatus.SHUTDOWN : CloseStatus.SERVER_ERROR;
        }

        @Override
        public void onOpen(CoreSession coreSession, Callback callback)
        {
            if (LOG.isDebugEnabled())
                LOG.debug("{} {} open {}", description, this, coreSession);
            boolean start = false;
            boolean peerLost = false;
            try (AutoLock ignored = lock.lock())
            {
                session = coreSession;
                if (clientFacing)
                {
                    // The upstream end opened first (the client is only upgraded once it has).
                    if (peer.gone || peer.closeSent)
                    {
                        peerLost = true;
                        closeSent = true;
                    }
                    else
                    {
                        start = true;
                    }
                }
            }
            callback.succeeded();
            if (peerLost)
            {
                close(coreSession, lostPeerCode(CloseStatus.NO_CLOSE), null);
                coreSession.demand();
            }
            else if (start)
            {
                coreSession.demand();
                peer.session().demand();
            }
        }

        private CoreSession session()
        {
            try (AutoLock ignored = lock.lock())
            {
                return session;
            }
        }

        @Override
        public void onFrame(Frame frame, Callback callback)
        {
            byte opCode = frame.getOpCode();
            if (opCode == OpCode.CLOSE)
            {
                onCloseFrame(frame, callback);
                return;
            }
            CoreSession self;
            CoreSession target;
            try (AutoLock ignored = lock.lock())
            {
                self = session;
                target = peer.session == null || peer.gone || peer.closeSent ? null : peer.session;
            }
            if (frame.isDataFrame())
            {
                if (opCode != OpCode.CONTINUATION)
                    messageBytes = 0;
                messageBytes += frame.getPayloadLength();
                if (maxMessageSize > 0 && messageBytes > maxMessageSize)
                {
                    callback.succeeded();
                    LOG.info("{}: a WebSocket message from the {} exceeded {} bytes; closing (1009)", description, clientFacing ? "client" : "upstream", maxMessageSize);
                    teardown(this, CloseStatus.MESSAGE_TOO_LARGE);
                    self.demand();
                    return;
                }
            }
            if (target == null)
            {
                // The other end is closing: drop, and keep reading until this end's CLOSE.
                callback.succeeded();
                self.demand();
                return;
            }
            target.sendFrame(new Frame(opCode, frame.isFin(), frame.getPayload()), new Callback()
            {
                @Override
                public void succeeded()
                {
                    callback.succeeded();
                    self.demand();
                }

                @Override
                public void failed(Throwable failure)
                {
                    if (LOG.isDebugEnabled())
                        LOG.debug("{} relay to {} failed", description, peer, failure);
                    callback.succeeded();
                    teardown(null, 0);
                    self.demand();
                }

                @Override
                public InvocationType getInvocationType()
                {
                    return InvocationType.NON_BLOCKING;
                }
            }, false);
        }

        private void onCloseFrame(Frame frame, Callback callback)
        {
            CloseStatus received = CloseStatus.getCloseStatus(frame);
            CloseStatus relayed = CloseStatus.isTransmittableStatusCode(received.getCode())
                ? new CloseStatus(received.getCode(), received.getReason())
                : new CloseStatus(CloseStatus.NO_CODE);
            CoreSession target = null;
            Callback peerHeld = null;
            boolean answer;
            try (AutoLock ignored = lock.lock())
            {
                answer = closeSent;
                if (answer)
                {
                    // This end answers a CLOSE the proxy sent; if that CLOSE came from the peer,
                    // the peer is waiting for this answer.
                    if (peer.heldClose != null && !peer.gone && !peer.closeSent && peer.session != null)
                    {
                        peer.closeSent = true;
                        peerHeld = peer.heldClose;
                        peer.heldClose = null;
                        target = peer.session;
                    }
                }
                else if (peer.session != null && !peer.gone && !peer.closeSent)
                {
                    peer.closeSent = true;
                    heldClose = callback;
                    target = peer.session;
                }
            }
            if (LOG.isDebugEnabled())
                LOG.debug("{} {} CLOSE {} ({}), relayed to {}", description, this, received, answer ? "answer" : "initiated", target);
            if (answer)
            {
                // Core closes this connection: its CLOSE was sent and now received.
                callback.succeeded();
                if (target != null)
                {
                    Callback held = peerHeld;
                    target.close(relayed, Callback.from(() -> complete(held), failure -> complete(held)));
                }
            }
            else if (target != null)
            {
                CoreSession peerSession = target;
                // Held: when the peer answers, its CLOSE is sent here first, then this callback
                // completes and core closes the connection without echoing the code a second time.
                target.close(relayed, Callback.from(() -> shortenIdleTimeout(peerSession), failure -> releaseHeldClose()));
            }
            else
            {
                // Nobody to relay to: core answers with this end's own code.
                callback.succeeded();
            }
        }

        /**
         * The peer cannot answer this end's CLOSE any more: let core answer it with this end's own code.
         */
        private void releaseHeldClose()
        {
            Callback held;
            try (AutoLock ignored = lock.lock())
            {
                held = heldClose;
                heldClose = null;
                if (held != null)
                    closeSent = true;
            }
            complete(held);
        }

        @Override
        public void onError(Throwable cause, Callback callback)
        {
            if (LOG.isDebugEnabled())
                LOG.debug("{} {} error", description, this, cause);
            callback.succeeded();
        }

        @Override
        public void onClosed(CloseStatus closeStatus, Callback callback)
        {
            if (LOG.isDebugEnabled())
                LOG.debug("{} {} closed {}", description, this, closeStatus);
            Callback ownHeld;
            boolean closePeer = false;
            Callback peerHeld = null;
            CoreSession peerSession;
            try (AutoLock ignored = lock.lock())
            {
                gone = true;
                ownHeld = heldClose;
                heldClose = null;
                peerSession = peer.session;
                if (peerSession != null && !peer.gone && !peer.closeSent)
                {
                    peer.closeSent = true;
                    peerHeld = peer.heldClose;
                    peer.heldClose = null;
                    closePeer = peerHeld == null;
                }
            }
            // This end's unanswered CLOSE: its connection is gone, release its buffer.
            complete(ownHeld);
            // The peer's CLOSE that this end should have answered: core answers it with the peer's own code.
            complete(peerHeld);
            if (closePeer)
                close(peerSession, peer.lostPeerCode(closeStatus.getCode()), null);
            callback.succeeded();
        }

        @Override
        public String toString()
        {
            return clientFacing ? "client-end" : "upstream-end";
        }
    }
}
