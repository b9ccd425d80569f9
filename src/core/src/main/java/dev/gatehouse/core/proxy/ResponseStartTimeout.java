package dev.gatehouse.core.proxy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Aborts a proxied request with a {@link TimeoutException} (which the proxy answers with 504) when
 * the upstream has had the whole request for longer than the timeout without starting its
 * response. The timer starts when the request is fully sent, because an upload may take hours,
 * and stops at the first byte of the response, because a started stream (a paused player, SSE) is
 * the idle timeouts' business. Lock-free: it runs on every request.
 */
final class ResponseStartTimeout
{
    /**
     * The state: {@code null} before the request was sent, the scheduled task while waiting,
     * {@link #RESPONDED} once the response began or the exchange ended.
     */
    private static final Object RESPONDED = new Object();

    private final AtomicReference<Object> state = new AtomicReference<>();

    private ResponseStartTimeout()
    {
    }

    static void arm(Request proxyToServerRequest, Scheduler scheduler, long timeoutMillis)
    {
        ResponseStartTimeout timeout = new ResponseStartTimeout();
        proxyToServerRequest.onRequestSuccess(request -> timeout.start(request, scheduler, timeoutMillis));
        proxyToServerRequest.onResponseBegin(response -> timeout.stop());
        proxyToServerRequest.onComplete(result -> timeout.stop());
    }

    private void start(Request request, Scheduler scheduler, long timeoutMillis)
    {
        Scheduler.Task task = scheduler.schedule(
            () -> request.abort(new TimeoutException("no response from upstream within " + timeoutMillis + " ms")),
            timeoutMillis, TimeUnit.MILLISECONDS);
        // An upstream may answer before the request was fully sent (e.g. 413 to an upload).
        if (!state.compareAndSet(null, task))
            task.cancel();
    }

    private void stop()
    {
        if (state.getAndSet(RESPONDED) instanceof Scheduler.Task task)
            task.cancel();
    }
}
