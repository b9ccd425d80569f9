package dev.gatehouse.core.proxy;

import java.nio.ByteBuffer;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Ends a proxied response with the write that completes its {@code Content-Length}, instead of
 * with the separate empty last write Jetty's proxy makes once the upstream's exchange is over.
 * Over HTTP/2 that empty write is an empty DATA frame carrying END_STREAM, sent after every byte
 * the client was promised: curl, having read them all, resets such streams, and Jetty counts
 * those resets and its own replies against its rapid-reset limit (128 a second) and closes the
 * whole connection, cutting every other stream on it. Ending with the last byte is one frame
 * fewer per response as well.
 */
final class EndOnLastByte extends Response.Wrapper
{
    /** Bytes still to come before the announced length is complete; negative: not counting. */
    private long remaining = Long.MIN_VALUE;
    private boolean ended;

    EndOnLastByte(Request request, Response wrapped)
    {
        super(request, wrapped);
    }

    @Override
    public void write(boolean last, ByteBuffer content, Callback callback)
    {
        if (ended)
        {
            // The proxy's own last write, after the response already ended with its last byte.
            if (last && (content == null || !content.hasRemaining()))
            {
                callback.succeeded();
                return;
            }
            super.write(last, content, callback);
            return;
        }
        if (remaining == Long.MIN_VALUE)
            remaining = announcedLength();
        if (!last && remaining > 0 && content != null)
        {
            remaining -= content.remaining();
            if (remaining == 0)
            {
                ended = true;
                last = true;
            }
        }
        super.write(last, content, callback);
    }

    /** The body length the headers announce, or -1 when there is none to count. */
    private long announcedLength()
    {
        if (HttpMethod.HEAD.is(getRequest().getMethod()))
            return -1;
        try
        {
            return getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        }
        catch (NumberFormatException notALength)
        {
            return -1;
        }
    }
}
