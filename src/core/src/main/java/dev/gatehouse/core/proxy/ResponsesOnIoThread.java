package dev.gatehouse.core.proxy;

import java.util.List;
import java.util.Map;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpExchange;
import org.eclipse.jetty.client.transport.internal.HttpChannelOverHTTP;
import org.eclipse.jetty.client.transport.internal.HttpConnectionOverHTTP;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;

/**
 * HTTP/1.1 upstream connections that read a response on their selector's thread when the request
 * it answers is {@linkplain #mark marked}, instead of handing each response to a pool thread.
 *
 * <p>Jetty's client declares its connections blocking (the default of
 * {@code HttpClientTransport.setInvocationType}), so the selector that finds a response readable
 * hands it to another thread: one more wake-up per small request, about a quarter of Gatehouse's
 * CPU being context switches and wake-ups. Declaring the whole transport non-blocking
 * (session 14) made HTTP/1.1 clients 9% slower with one client selector and HTTP/2 clients 40%
 * slower; with two selectors HTTP/1.1 clients gained 8% and HTTP/2 clients still lost 23%
 * (session 16). Profiled (session 17), the HTTP/2 loss is hand-offs, not the front connection's
 * writes: three to four times the context switches per request, as Jetty's selectors pass their
 * production to reserved threads and wake idle pool threads far more often. So the choice is made
 * per exchange: the proxy marks the
 * requests of HTTP/1.x clients, and only when no handler in front of it may block (a response
 * written on a selector thread must never wait).</p>
 *
 * <p>Whoever runs a response, the connection then awaits the next one by its selector
 * ({@link NextResponseBySelector}, its channel). Each connection also holds the timer of the
 * request waiting for its response ({@link ResponseStartTimeout}).</p>
 */
final class ResponsesOnIoThread
{
    private static final String MARK = ResponsesOnIoThread.class.getName();

    private ResponsesOnIoThread()
    {
    }

    /**
     * @return Jetty's HTTP/1.1 protocol for {@code HttpClientTransportDynamic}, with connections
     * that honour {@link #mark}
     */
    static ClientConnectionFactory.Info http11()
    {
        return new ClientConnectionFactory.Info(new ConnectionFactory())
        {
            @Override
            public List<String> getProtocols(boolean secure)
            {
                return List.of("http/1.1");
            }

            @Override
            public String toString()
            {
                return "HTTP/1.1 (responses of marked requests on the I/O thread)";
            }
        };
    }

    /**
     * Lets the response to this request run on the upstream connection's selector thread.
     */
    static void mark(Request request)
    {
        request.attribute(MARK, Boolean.TRUE);
    }

    static boolean isMarked(Request request)
    {
        return request.getAttributes().get(MARK) == Boolean.TRUE;
    }

    private static final class ConnectionFactory extends HttpClientConnectionFactory
    {
        @Override
        public Connection newConnection(EndPoint endPoint, Map<String, Object> context)
        {
            UpstreamConnection connection = new UpstreamConnection(endPoint, context);
            connection.setInitialize(isInitializeConnections());
            connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
            return customize(connection, context);
        }
    }

    /**
     * Asked by the selector each time it finds the connection readable (and by the receiver when it
     * demands more content), so the answer follows the exchange the response belongs to; between
     * exchanges it is the transport's.
     */
    static final class UpstreamConnection extends HttpConnectionOverHTTP
    {
        private final ResponseStartTimeout.Timer responseStartTimer;

        UpstreamConnection(EndPoint endPoint, Map<String, Object> context)
        {
            super(endPoint, context);
            responseStartTimer = new ResponseStartTimeout.Timer(getHttpDestination().getHttpClient().getScheduler());
        }

        /**
         * @return the timer of the request waiting for its response here (one at a time)
         */
        ResponseStartTimeout.Timer responseStartTimer()
        {
            return responseStartTimer;
        }

        @Override
        public void onClose(Throwable cause)
        {
            super.onClose(cause);
            responseStartTimer.destroy();
        }

        @Override
        protected HttpChannelOverHTTP newHttpChannel()
        {
            return new NextResponseBySelector(this);
        }

        @Override
        public InvocationType getInvocationType()
        {
            InvocationType transport = super.getInvocationType();
            if (transport == InvocationType.NON_BLOCKING)
                return transport;
            HttpExchange exchange = getHttpChannel().getHttpExchange();
            return exchange != null && isMarked(exchange.getRequest()) ? InvocationType.NON_BLOCKING : transport;
        }
    }
}
