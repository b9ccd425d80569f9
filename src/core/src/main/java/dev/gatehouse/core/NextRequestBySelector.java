package dev.gatehouse.core;

import java.util.concurrent.Executor;

import dev.gatehouse.core.tls.ConnectionFactoryReplacement;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's HTTP/1.1 connection factory, except for how a keep-alive client's next request is
 * awaited after a response that completed on another thread than the one that read the request
 * (every proxied response: it completes on the upstream connection's thread).
 * <p>
 * Jetty resumes such a connection by handing it to the thread pool, whose job reads the socket
 * for the next request, usually finds nothing yet and registers read interest. With nothing
 * pipelined behind the response, this connection registers the read interest at once instead,
 * as Jetty's own {@code onOpen} does for a new connection: no pool thread is woken, no read
 * finds nothing, and the selector hands the next request to the handlers when it arrives (on
 * its own thread, the handler tree being non-blocking). Pipelined bytes already read, and a
 * request buffer Jetty kept after reading a body into it, are left to Jetty's pool job.
 */
public final class NextRequestBySelector extends HttpConnectionFactory
{
    public NextRequestBySelector(HttpConfiguration configuration)
    {
        super(configuration);
    }

    /**
     * Replaces Jetty's HTTP/1.1 connection factory in every connector that has one, keeping its
     * settings and the factories' order. Call before the connectors start.
     */
    public static void replaceIn(Connector... connectors)
    {
        ConnectionFactoryReplacement.replace(connectors, HttpConnectionFactory.class, NextRequestBySelector::copyOf);
    }

    private static NextRequestBySelector copyOf(HttpConnectionFactory jettys)
    {
        NextRequestBySelector copy = new NextRequestBySelector(jettys.getHttpConfiguration());
        copy.setInputBufferSize(jettys.getInputBufferSize());
        copy.setUseInputDirectByteBuffers(jettys.isUseInputDirectByteBuffers());
        copy.setUseOutputDirectByteBuffers(jettys.isUseOutputDirectByteBuffers());
        copy.setTransferEncodingChunkMaxLength(jettys.getTransferEncodingChunkMaxLength());
        jettys.getBeans().forEach(copy::addBean);
        return copy;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint)
    {
        ResumingConnection connection = new ResumingConnection(getHttpConfiguration(), connector, endPoint);
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
    }

    static final class ResumingConnection extends HttpConnection
    {
        private final Callback nextRequest = new NextRequestCallback();
        private final Executor resumer = this::resume;
        /**
         * Whether the last request had a body. Jetty keeps the request buffer its body was read
         * into until the pool job it resumes with (the buffer may hold a pipelined request), and
         * only that job releases it: such a connection is left to it, or it would hold the buffer
         * while idle. Written by the thread that parsed the request's head before Jetty hands the
         * request on (a volatile write of Jetty's), read after the response completed.
         */
        private boolean lastRequestHadBody;

        ResumingConnection(HttpConfiguration configuration, Connector connector, EndPoint endPoint)
        {
            super(configuration, connector, endPoint);
        }

        @Override
        protected RequestHandler newRequestHandler()
        {
            return new RequestHandler()
            {
                @Override
                public boolean headerComplete()
                {
                    lastRequestHadBody = getParser().hasContent();
                    return super.headerComplete();
                }
            };
        }

        /**
         * Jetty asks for this executor when it resumes the connection after a response that
         * completed elsewhere (its request is recycled by then, so the request's executor is not
         * used), and in a few rarer cases that hand other tasks, which go to the pool as before.
         */
        @Override
        protected Executor getExecutor()
        {
            return resumer;
        }

        private void resume(Runnable task)
        {
            // The endpoint is closed or already awaiting a read when Jetty aborted the exchange;
            // its pool job then cleans up, as without this class.
            if (task == this && !lastRequestHadBody && isRequestBufferEmpty() && getEndPoint().isOpen() && !isFillInterested())
                fillInterested(nextRequest);
            else
                super.getExecutor().execute(task);
        }

        private final class NextRequestCallback implements Callback
        {
            private final InvocationType invocationType = getServer().getInvocationType();

            @Override
            public void succeeded()
            {
                onFillable();
            }

            @Override
            public void failed(Throwable failure)
            {
                onFillInterestedFailed(failure);
            }

            @Override
            public InvocationType getInvocationType()
            {
                return invocationType;
            }
        }
    }
}
