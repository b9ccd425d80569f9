package dev.gatehouse.plugin.plexdirect;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import dev.gatehouse.spi.Upstream;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Plex route's start-up and upkeep. It is a bean of the route's upstream {@link HttpClient},
 * so Jetty starts it inside the proxy's own start, after the client's TLS factory and before the
 * server opens its listeners: the discovered name is in place before the first request can
 * arrive, whatever order the server's other beans start in.
 *
 * <ul>
 *   <li>{@link #doStart}: with an {@code https://<IP>} upstream, one TLS handshake to read
 *       {@code *.<hash>.plex.direct} from the certificate (chain verified, host name not), and the
 *       route switched to {@code <ip>.<hash>.plex.direct}. Not a plex.direct certificate, or an
 *       untrusted one: start fails with what to configure. Plex unreachable: a warning, and retries.</li>
 *   <li>Renewal: re-read every {@code rediscover-interval}, and soon after any request fails its TLS
 *       handshake; a new hash switches the route. A pinned name is never switched: the operator is
 *       told what the server now presents.</li>
 *   <li>When the client has started: {@code GET /identity}, asynchronously, to log the server's
 *       {@code machineIdentifier} and version.</li>
 * </ul>
 */
final class PlexDirectRoute extends AbstractLifeCycle implements LifeCycle.Listener
{
    private static final Logger LOG = LoggerFactory.getLogger(PlexDirectRoute.class);
    /** Failure-triggered probes at most this often: a dead server must not get a probe per request. */
    private static final long MIN_PROBE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long RETRY_UNREACHABLE_MILLIS = TimeUnit.SECONDS.toMillis(30);
    private static final long FAILURE_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final String PERIODIC = "on the periodic check";
    private static final Pattern IDENTITY_FIELD = Pattern.compile("(machineIdentifier|version|claimed)\\s*[=:]\\s*\"([^\"]{0,128})\"");

    private final Upstream upstream;
    private final PlexDirectConfig config;
    private final RoutePlan plan;
    private final InetAddress bind;
    private final SslContextFactory.Client tls;
    private final AtomicBoolean probing = new AtomicBoolean();
    private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();
    private volatile HttpClient client;
    private final java.util.concurrent.atomic.AtomicLong lastProbeNanos = new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - MIN_PROBE_INTERVAL_NANOS);
    private volatile Scheduler.Task scheduled;

    PlexDirectRoute(Upstream upstream, PlexDirectConfig config, RoutePlan plan, InetAddress bind, SslContextFactory.Client tls)
    {
        this.upstream = upstream;
        this.config = config;
        this.plan = plan;
        this.bind = bind;
        this.tls = tls;
    }

    void attach(HttpClient client)
    {
        this.client = client;
    }

    RoutePlan plan()
    {
        return plan;
    }

    @Override
    protected void doStart() throws Exception
    {
        switch (plan.mode())
        {
            case NAME -> LOG.info("plex-direct: route {} connects to {} at {} without DNS, verifying the certificate against that name", upstream.routeName(), plan.name(), plan.serverAddress().getHostAddress());
            case HASH ->
            {
                upstream.uri(RoutePlan.withHost(plan.configured(), plan.name()));
                LOG.info("plex-direct: route {} uses {} (hash from gatehouse.plex-direct.hash) -> {}", upstream.routeName(), plan.name(), upstream.uri());
            }
            case DISCOVER -> discoverAtStart();
            case NONE ->
            {
            }
        }
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception
    {
        Scheduler.Task task = scheduled;
        if (task != null)
            task.cancel();
        // The next start discovers again from the configured address.
        if (plan.mode() != RoutePlan.Mode.NONE && plan.mode() != RoutePlan.Mode.NAME)
            upstream.uri(plan.configured());
        super.doStop();
    }

    private InetSocketAddress serverSocketAddress()
    {
        return new InetSocketAddress(plan.serverAddress(), RoutePlan.port(plan.configured()));
    }

    private void discoverAtStart()
    {
        InetSocketAddress server = serverSocketAddress();
        X509Certificate certificate;
        try
        {
            certificate = CertificateProbe.fetch(tls.getSslContext(), tls.getSelectedProtocols(), server, bind, config.getProbeTimeout());
        }
        catch (SSLHandshakeException e)
        {
            if (isUntrusted(e))
                throw new IllegalStateException(untrustedMessage(server, e), e);
            throw new IllegalStateException("plex-direct: the TLS handshake with " + address(server) + " failed (" + Redact.failure(e) + "); is gatehouse.upstream=" + plan.configured() + " the Plex Media Server's https port?", e);
        }
        catch (IOException e)
        {
            LOG.warn("plex-direct: cannot read the certificate of {} to find its plex.direct name ({}); requests to route {} will fail (502) until Plex is reachable; trying again every {}s and after each failed request",
                address(server), Redact.failure(e), upstream.routeName(), RETRY_UNREACHABLE_MILLIS / 1000);
            schedule(RETRY_UNREACHABLE_MILLIS);
            return;
        }
        PlexDirectName name = nameFrom(certificate, server);
        if (name == null)
            throw new IllegalStateException(notPlexDirectMessage(server, certificate));
        switchTo(name, certificate, "discovered", "at start");
        schedulePeriodic();
    }

    private PlexDirectName nameFrom(X509Certificate certificate, InetSocketAddress server)
    {
        List<String> hashes = CertificateProbe.plexDirectHashes(certificate);
        if (hashes.isEmpty())
            return null;
        if (hashes.size() > 1)
            LOG.warn("plex-direct: the certificate of {} names several plex.direct hashes {}; using the first", address(server), hashes);
        return PlexDirectName.of(server.getAddress(), hashes.get(0));
    }

    private void switchTo(PlexDirectName name, X509Certificate certificate, String how, String why)
    {
        URI next = RoutePlan.withHost(plan.configured(), name);
        URI previous = upstream.uri();
        if (next.equals(previous))
            return;
        upstream.uri(next);
        LOG.info("plex-direct: {} {} {} from the certificate of {} ({}); route {} now goes to {}",
            how, name, why, address(serverSocketAddress()), CertificateProbe.describe(certificate), upstream.routeName(), next);
        if (name.isIpv6())
            LOG.warn("plex-direct: {} is an IPv6 name; Plex ignores X-Forwarded-For over IPv6", name);
    }

    private void schedulePeriodic()
    {
        if (!config.getRediscoverInterval().isZero())
            schedule(config.getRediscoverInterval().toMillis());
    }

    private void schedule(long delayMillis)
    {
        HttpClient current = client;
        if (current == null || current.getScheduler() == null || !isRunningOrStarting())
            return;
        scheduled = current.getScheduler().schedule(() -> rediscover(PERIODIC), delayMillis, TimeUnit.MILLISECONDS);
    }

    private boolean isRunningOrStarting()
    {
        return isStarting() || isStarted();
    }

    /**
     * Called for every proxied request that failed; cheap unless the failure is about TLS.
     */
    void onUpstreamFailure(Throwable failure)
    {
        if (plan.mode() == RoutePlan.Mode.NONE || !isTlsFailure(failure))
            return;
        if (isUntrusted(failure))
        {
            logRateLimited("untrusted", () -> LOG.warn("plex-direct: route {}: {}", upstream.routeName(), untrustedMessage(serverSocketAddress(), failure)));
            return;
        }
        switch (plan.mode())
        {
            case DISCOVER ->
            {
                logRateLimited("mismatch", () -> LOG.warn("plex-direct: route {}: the certificate of {} does not match {} ({}); Plex may have a new certificate: reading it again",
                    upstream.routeName(), address(serverSocketAddress()), upstream.uri().getHost(), Redact.failure(failure)));
                rediscoverSoon("after a TLS failure");
            }
            case NAME, HASH -> logRateLimited("mismatch", () ->
            {
                LOG.warn("plex-direct: route {}: the certificate of {} does not match the configured {} ({}); checking what it presents",
                    upstream.routeName(), address(serverSocketAddress()), plan.name(), Redact.failure(failure));
                rediscoverSoon("to diagnose a pinned name");
            });
            default ->
            {
            }
        }
    }

    private void rediscoverSoon(String why)
    {
        HttpClient current = client;
        if (current == null || !isStarted())
            return;
        long now = System.nanoTime();
        long last = lastProbeNanos.get();
        // One probe per interval however many requests fail at once.
        if (now - last < MIN_PROBE_INTERVAL_NANOS || !lastProbeNanos.compareAndSet(last, now))
            return;
        current.getExecutor().execute(() -> rediscover(why));
    }

    private void rediscover(String why)
    {
        if (!probing.compareAndSet(false, true))
        {
            // Another probe is running; a periodic one must keep its timer alive.
            if (PERIODIC.equals(why))
                schedulePeriodic();
            return;
        }
        InetSocketAddress server = serverSocketAddress();
        try
        {
            lastProbeNanos.set(System.nanoTime());
            X509Certificate certificate = CertificateProbe.fetch(tls.getSslContext(), tls.getSelectedProtocols(), server, bind, config.getProbeTimeout());
            PlexDirectName name = nameFrom(certificate, server);
            if (name == null)
                LOG.warn("plex-direct: route {}: {}; keeping {}", upstream.routeName(), notPlexDirectMessage(server, certificate), upstream.uri());
            else if (plan.mode() == RoutePlan.Mode.DISCOVER)
                switchTo(name, certificate, "rediscovered", why);
            else if (!name.equals(plan.name()))
                LOG.error("plex-direct: route {}: the server at {} now presents *.{}.plex.direct, not the configured {}: set gatehouse.upstream=https://{}:{} (or gatehouse.upstream=https://{}:{} to follow Plex's certificate automatically)",
                    upstream.routeName(), address(server), name.hash(), plan.name(), name, server.getPort(), server.getAddress().getHostAddress(), server.getPort());
        }
        catch (IOException e)
        {
            if (isUntrusted(e))
                logRateLimited("untrusted", () -> LOG.warn("plex-direct: route {}: {}", upstream.routeName(), untrustedMessage(server, e)));
            else
                logRateLimited("unreachable", () -> LOG.warn("plex-direct: route {}: cannot read the certificate of {} ({})", upstream.routeName(), address(server), Redact.failure(e)));
        }
        catch (RuntimeException e)
        {
            LOG.warn("plex-direct: route {}: rediscovery failed", upstream.routeName(), e);
        }
        finally
        {
            probing.set(false);
        }
        if (PERIODIC.equals(why) && plan.mode() == RoutePlan.Mode.DISCOVER)
        {
            // Until a name was found, retry soon; afterwards, at the configured interval.
            boolean discovered = PlexDirectName.looksLikePlexDirect(upstream.uri().getHost());
            if (discovered)
                schedulePeriodic();
            else
                schedule(RETRY_UNREACHABLE_MILLIS);
        }
    }

    /**
     * The client has started: ask Plex who it is. Asynchronous, bounded by the probe timeout, and
     * only ever a warning.
     */
    @Override
    public void lifeCycleStarted(LifeCycle event)
    {
        HttpClient current = client;
        if (!config.isIdentityCheck() || current == null)
            return;
        URI base = upstream.uri();
        if (plan.mode() == RoutePlan.Mode.DISCOVER && !PlexDirectName.looksLikePlexDirect(base.getHost()))
            return; // already warned: the server could not be reached
        URI identity = base.resolve("/identity");
        current.newRequest(identity)
            .timeout(config.getProbeTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .send(new BufferingResponseListener(64 * 1024)
            {
                @Override
                public void onComplete(Result result)
                {
                    if (result.isFailed())
                    {
                        LOG.warn("plex-direct: Plex did not answer GET {} ({}); Gatehouse runs anyway and proxies once it does", identity, Redact.failure(result.getFailure()));
                        return;
                    }
                    int status = result.getResponse().getStatus();
                    String body = getContentAsString(StandardCharsets.UTF_8);
                    Map<String, String> fields = identityFields(body);
                    if (status != 200 || !fields.containsKey("machineIdentifier"))
                        LOG.warn("plex-direct: GET {} answered {} without a machineIdentifier: is this a Plex Media Server?", identity, status);
                    else
                        LOG.info("plex-direct: Plex Media Server at {}: machineIdentifier={} version={} claimed={}", upstream.uri(), fields.get("machineIdentifier"), fields.getOrDefault("version", "?"), fields.getOrDefault("claimed", "?"));
                }
            });
    }

    /**
     * @return {@code machineIdentifier}, {@code version} and {@code claimed} from Plex's XML
     * ({@code attr="value"}) or JSON ({@code "attr":"value"}) answer, made safe for logs
     */
    static Map<String, String> identityFields(String body)
    {
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        // Only the MediaContainer's own attributes: the XML declaration has a "version" too.
        int container = body.indexOf("MediaContainer");
        String fromContainer = container < 0 ? "" : body.substring(container);
        Matcher matcher = IDENTITY_FIELD.matcher(fromContainer.replace("\":", "=").replace("\" :", "="));
        while (matcher.find())
            fields.putIfAbsent(matcher.group(1), Redact.text(matcher.group(2)));
        return fields;
    }

    private void logRateLimited(String kind, Runnable log)
    {
        long now = System.nanoTime();
        Long last = lastLogged.get(kind);
        if (last != null && now - last < FAILURE_LOG_INTERVAL_NANOS)
            return;
        lastLogged.put(kind, now);
        log.run();
    }

    private String untrustedMessage(InetSocketAddress server, Throwable failure)
    {
        return "the certificate chain of " + address(server) + " is not trusted (" + Redact.failure(rootCause(failure)) + "). Plex's own plex.direct certificates come from a public CA in the JDK's trust store; " +
            "if yours is issued by a private CA, add that CA with gatehouse.upstream.trust-store (PEM or PKCS12). Verification cannot be turned off";
    }

    private String notPlexDirectMessage(InetSocketAddress server, X509Certificate certificate)
    {
        return "plex-direct: the certificate of " + address(server) + " is not a Plex plex.direct certificate (" + CertificateProbe.describe(certificate) + "), so there is no name to verify. " +
            "Sign the server in to your Plex account (an unclaimed server has a self-signed certificate) and keep Settings > Network > Secure connections on, " +
            "or set gatehouse.upstream=https://<a-b-c-d>.<hash>.plex.direct:" + server.getPort() + " yourself; for an upstream that is not Plex, leave its route out of gatehouse.plex-direct.routes";
    }

    private static String address(InetSocketAddress server)
    {
        String host = server.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + server.getPort();
    }

    static boolean isTlsFailure(Throwable failure)
    {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause())
        {
            if (cause instanceof SSLException || cause instanceof CertificateException)
                return true;
        }
        return false;
    }

    static boolean isUntrusted(Throwable failure)
    {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause())
        {
            String name = cause.getClass().getName();
            if (name.equals("sun.security.provider.certpath.SunCertPathBuilderException") || name.equals("java.security.cert.CertPathValidatorException") ||
                (cause.getMessage() != null && cause.getMessage().contains("PKIX path")))
                return true;
        }
        return false;
    }

    private static Throwable rootCause(Throwable failure)
    {
        Throwable cause = failure;
        int depth = 0;
        while (cause.getCause() != null && cause.getCause() != cause && depth++ < 8)
            cause = cause.getCause();
        return cause;
    }
}
