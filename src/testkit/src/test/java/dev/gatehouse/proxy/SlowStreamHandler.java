package dev.gatehouse.proxy;

import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Writes {@code ticks} lines, one every {@code intervalMillis}, flushing each.
 */
final class SlowStreamHandler extends Handler.Abstract.NonBlocking
{
    private final int ticks;
    private final long intervalMillis;

    SlowStreamHandler(int ticks, long intervalMillis)
    {
        this.ticks = ticks;
        this.intervalMillis = intervalMillis;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback)
    {
        response.getHeaders().put("Content-Type", "text/plain");
        write(request, response, callback, 0);
        return true;
    }

    private void write(Request request, Response response, Callback callback, int tick)
    {
        if (tick == ticks)
        {
            response.write(true, null, callback);
            return;
        }
        Content.Sink.write(response, false, "tick " + tick + "\n", Callback.from(
            () -> request.getComponents().getScheduler().schedule(() -> write(request, response, callback, tick + 1), intervalMillis, TimeUnit.MILLISECONDS),
            callback::failed));
    }
}
