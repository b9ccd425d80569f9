package dev.gatehouse.core.websocket;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;

/**
 * Keeps Jetty's HTTP/2 client from eating the first WebSocket frame of an RFC 8441 upgrade.
 *
 * <p><b>The Jetty behaviour</b> (12.1.12, {@code HttpReceiverOverHTTP2.onResponse}): on the 200 to an
 * extended {@code CONNECT}, the client turns the stream into the WebSocket's end point and completes
 * the upgrade (the session opens, its future completes), and only then carries on with the
 * response as if it were ordinary HTTP: {@code responseHeaders()} hands the "response content" to the
 * request's content listeners, and when there is none, {@code ResponseListeners.consume} reads it to
 * discard it, with {@code stream.readData()} on the very stream the WebSocket now reads. Whatever
 * the server sent right after its 200 (the first frame of the echo, a greeting, a CLOSE) and that
 * arrived before that thread got there is taken out of the stream and released: the WebSocket never
 * sees it. The window is small and grows with load: a busy machine lost the first frame in about 1
 * upgrade in 30 (measured with the testkit's stand-ins), as a missing message or as a 1006 instead of
 * the CLOSE that was sent. HTTP/1.1 is not affected (a 101 is an interim response: no content).</p>
 *
 * <p><b>The workaround</b> is a content listener on the upgrade request that leaves a tunnel's
 * content alone (the WebSocket connection reads it) and drains any other response (a refused
 * upgrade), as the default would. It is added from
 * {@link org.eclipse.jetty.websocket.core.client.UpgradeListener#onHandshakeRequest}, which runs
 * before the request is sent.</p>
 */
public final class TunnelResponseContent
{
    private static final Response.ContentSourceListener LEAVE_TUNNEL_CONTENT = (response, content) ->
    {
        if (MetaData.isTunnel(response.getRequest().getMethod(), response.getStatus()))
            return;
        Content.Source.consumeAll(content, Callback.NOOP);
    };

    private TunnelResponseContent()
    {
    }

    /**
     * @param upgradeRequest the HTTP request of a WebSocket upgrade, before it is sent
     */
    public static void leaveToTheWebSocket(Request upgradeRequest)
    {
        upgradeRequest.onResponseContentSource(LEAVE_TUNNEL_CONTENT);
    }
}
