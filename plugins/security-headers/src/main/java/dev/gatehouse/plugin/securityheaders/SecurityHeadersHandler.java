package dev.gatehouse.plugin.securityheaders;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The outermost handler: answers the violation report endpoint itself, and wraps every other
 * response so the policy's headers are applied when it commits ({@link CommitHeadersResponse}).
 */
public class SecurityHeadersHandler extends Handler.Wrapper
{
    private final PolicySelector selector;
    private final DocumentHasher hasher;
    private final ReportEndpoint reports;
    private final String reportPath;
    private final Duration logInterval;
    private volatile Scheduler.Task logTask;

    /**
     * @param reports the report endpoint, or null when reports are off
     */
    SecurityHeadersHandler(PolicySelector selector, DocumentHasher hasher, ReportEndpoint reports, String reportPath, Duration logInterval)
    {
        this.selector = selector;
        this.hasher = hasher;
        this.reports = reports;
        this.reportPath = reportPath;
        this.logInterval = logInterval;
    }

    ViolationCollector collector()
    {
        return reports == null ? null : reports.collector();
    }

    DocumentHasher hasher()
    {
        return hasher;
    }

    @Override
    protected void doStart() throws Exception
    {
        super.doStart();
        scheduleLog();
    }

    @Override
    protected void doStop() throws Exception
    {
        Scheduler.Task task = logTask;
        if (task != null)
            task.cancel();
        logTask = null;
        super.doStop();
    }

    private void scheduleLog()
    {
        if (reports == null || logInterval.isZero() || getServer() == null || !isRunning() && !isStarting())
            return;
        logTask = getServer().getScheduler().schedule(() ->
        {
            reports.collector().logIfChanged();
            scheduleLog();
        }, logInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception
    {
        HeaderPolicy policy = selector.select(request);
        if (reports != null && reportPath.equals(request.getHttpURI().getPath()))
        {
            policy.applyCommon(response.getHeaders(), request.isSecure());
            reports.handle(request, response, callback);
            return true;
        }
        CommitHeadersResponse wrapped = new CommitHeadersResponse(request, response, policy, hasher);
        Callback completing = new Callback()
        {
            @Override
            public void succeeded()
            {
                wrapped.complete(callback);
            }

            @Override
            public void failed(Throwable failure)
            {
                callback.failed(failure);
            }

            @Override
            public InvocationType getInvocationType()
            {
                return callback.getInvocationType();
            }
        };
        return super.handle(request, wrapped, completing);
    }
}
