package dev.gatehouse.core.proxy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.io.CyclicTimeout;
import org.eclipse.jetty.util.NanoTime;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Aborts a proxied request with a {@link TimeoutException} (which the proxy answers with 504) when
 * the upstream has had the whole request for longer than the timeout without starting its
 * response. The timer starts when the request is fully sent, because an upload may take hours,
 * and stops at the first byte of the response, because a started stream (a paused player, SSE) is
 * the idle timeouts' business. Lock-free: it runs on every request.
 *
 * <p>On Gatehouse's HTTP/1.1 upstream connections, which carry one exchange at a time, the timer
 * is the connection's {@link Timer}, a Jetty {@link CyclicTimeout}: a request's timer is armed
 * against the wake-up its predecessors left scheduled, so a connection asks the scheduler for
 * about one wake-up per timeout period instead of one task per request. A task per request cost
 * the scheduler's queue lock and, whenever the queue was empty (one client at a time, each new
 * connection of a burst), a wake-up of the scheduler's thread. Elsewhere (an HTTP/2 upstream) each
 * request schedules its own task.</p>
 */
final class ResponseStartTimeout
{
    /**
     * The state: {@code null} before the request was sent, the connection's {@link Timer} or the
     * scheduled task while waiting, {@link #RESPONDED} once the response began or the exchange ended.
     */
    private static final Object RESPONDED = new Object();

    private final AtomicReference<Object> state = new AtomicReference<>();
    private Request request;
    private long timeoutMillis;
    private long deadlineNanos;

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
        this.request = request;
        this.timeoutMillis = timeoutMillis;
        this.deadlineNanos = NanoTime.now() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        Object waiting;
        if (request.getConnection() instanceof ResponsesOnIoThread.UpstreamConnection connection)
        {
            Timer timer = connection.responseStartTimer();
            timer.start(this);
            waiting = timer;
        }
        else
        {
            waiting = scheduler.schedule(this::expire, timeoutMillis, TimeUnit.MILLISECONDS);
        }
        // An upstream may answer before the request was fully sent (e.g. 413 to an upload).
        if (!state.compareAndSet(null, waiting))
            stopWaiting(waiting);
    }

    private void stop()
    {
        stopWaiting(state.getAndSet(RESPONDED));
    }

    private void stopWaiting(Object waiting)
    {
        if (waiting instanceof Timer timer)
            timer.stop(this);
        else if (waiting instanceof Scheduler.Task task)
            task.cancel();
    }

    private void expire()
    {
        request.abort(new TimeoutException("no response from upstream within " + timeoutMillis + " ms"));
    }

    /**
     * The response-start timer of one upstream connection: the one request waiting for its
     * response there, if any.
     */
    static final class Timer extends CyclicTimeout
    {
        private final AtomicReference<ResponseStartTimeout> waiting = new AtomicReference<>();

        Timer(Scheduler scheduler)
        {
            super(scheduler);
        }

        private void start(ResponseStartTimeout timeout)
        {
            waiting.set(timeout);
            schedule(timeout.timeoutMillis, TimeUnit.MILLISECONDS);
        }

        private void stop(ResponseStartTimeout timeout)
        {
            if (waiting.compareAndSet(timeout, null))
                cancel();
        }

        @Override
        public void onTimeoutExpired()
        {
            ResponseStartTimeout timeout = waiting.get();
            // A wake-up that found an earlier request's deadline passed can run after that request
            // stopped and the next one started: only a request whose own deadline passed expires
            // (the next one's deadline has a wake-up of its own).
            if (timeout != null && NanoTime.isBeforeOrSame(timeout.deadlineNanos, NanoTime.now()) && waiting.compareAndSet(timeout, null))
                timeout.expire();
        }
    }
}
