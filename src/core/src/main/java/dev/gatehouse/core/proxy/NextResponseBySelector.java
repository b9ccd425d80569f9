package dev.gatehouse.core.proxy;

import java.nio.ByteBuffer;

import org.eclipse.jetty.client.transport.HttpExchange;
import org.eclipse.jetty.client.transport.internal.HttpChannelOverHTTP;
import org.eclipse.jetty.client.transport.internal.HttpConnectionOverHTTP;
import org.eclipse.jetty.client.transport.internal.HttpReceiverOverHTTP;
import org.eclipse.jetty.http.HttpStatus;

/**
 * Jetty's HTTP/1.1 upstream channel, except for how the next response is awaited once one is
 * complete: the upstream client's twin of {@code NextRequestBySelector}.
 * <p>
 * Jetty's receiver reads the socket again right after every complete response, looking for the
 * next one. An upstream sends nothing before it has the next request, which the proxy has not
 * sent yet (the connection only now goes back to the pool), so that read finds nothing and the
 * receiver registers read interest: one failing system call per proxied request (0.98 per
 * request on the upstream connections in session 19's {@code strace}). This receiver registers
 * the read interest at once. Nothing can be missed: the selector's epoll is level-triggered, so
 * bytes that arrive in between, a closing upstream's end of stream included, are reported at
 * once and read by Jetty's own {@code onFillable}.
 * <p>
 * Left to Jetty's own way: interim responses (their final response may follow at once), bytes
 * still buffered after the response (Jetty's parser discards them after a final response, so
 * this is a guard), and closed or shut-down connections (Jetty registers no interest for them).
 */
final class NextResponseBySelector extends HttpChannelOverHTTP
{
    NextResponseBySelector(HttpConnectionOverHTTP connection)
    {
        super(connection);
    }

    @Override
    protected HttpReceiverOverHTTP newHttpReceiver()
    {
        return new Receiver(this);
    }

    private static final class Receiver extends HttpReceiverOverHTTP
    {
        private final Runnable awaitNextResponse = this::awaitNextResponse;

        Receiver(HttpChannelOverHTTP channel)
        {
            super(channel);
        }

        /**
         * Jetty passes its "read the next response" task here after a complete response (and a
         * task of its own after an interim one, passed on as it is).
         */
        @Override
        protected void responseSuccess(Runnable afterSuccessTask)
        {
            HttpExchange exchange = getHttpExchange();
            boolean finalResponse = afterSuccessTask != null && exchange != null && !HttpStatus.isInterim(exchange.getResponse().getStatus());
            super.responseSuccess(finalResponse ? awaitNextResponse : afterSuccessTask);
        }

        private void awaitNextResponse()
        {
            HttpChannelOverHTTP channel = getHttpChannel();
            ByteBuffer buffered = getResponseBuffer();
            if (buffered != null && buffered.hasRemaining())
            {
                // Jetty's own way: parse what is there, then read.
                channel.receive();
                return;
            }
            // Hands back the (empty) network buffer, as Jetty's read does when it finds nothing:
            // an idle connection in the pool holds none.
            onUpgradeFrom();
            HttpConnectionOverHTTP connection = channel.getHttpConnection();
            if (connection.isClosed() || isShutdown())
                return;
            connection.fillInterested();
        }
    }
}
