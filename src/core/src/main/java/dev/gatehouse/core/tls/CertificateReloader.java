package dev.gatehouse.core.tls;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.util.component.ContainerLifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the files of {@code gatehouse.tls.certificates} (following symbolic links afresh each
 * time) and reloads the TLS context when they change. Established connections keep the
 * {@code SSLEngine} they have; new handshakes get the new certificates.
 *
 * <p>A change is applied once the files have held still for one scan interval, so that a renewal
 * that writes the certificate and the key one after the other (certbot updates its two links one
 * at a time) is judged whole, not half-way. If the new files are unusable (a key that does not
 * match, a half-written file, a wrong password), the problems are logged as errors naming each file
 * and the previous certificates stay in service; the files are tried again when they next change.</p>
 *
 * <p>A managed bean: Jetty starts and stops it with the server; its timer thread exists only
 * while it runs.</p>
 */
public final class CertificateReloader extends ContainerLifeCycle
{
    private static final Logger LOG = LoggerFactory.getLogger(CertificateReloader.class);
    private static final Duration VALIDITY_CHECK_INTERVAL = Duration.ofDays(1);

    private final SslContextFactory.Server sslContextFactory;
    private final List<Path> entries;
    private final String password;
    private final Duration interval;
    private final Clock clock;
    private final AtomicLong reloads = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile String lastFailure = "";
    private volatile ServerCertificates current;

    // Touched by scan() only, which is synchronized.
    private String lastSeen;
    private String lastTried;
    private Instant lastValidityCheck;

    private Scheduler scheduler;

    /**
     * @param current the certificates the TLS context was configured with
     * @param interval time between scans; zero disables scanning (reloadIfChanged still works)
     */
    public CertificateReloader(SslContextFactory.Server sslContextFactory, List<Path> entries, String password, Duration interval, ServerCertificates current, Clock clock)
    {
        this.sslContextFactory = sslContextFactory;
        this.entries = List.copyOf(entries);
        this.password = password;
        this.interval = interval;
        this.clock = clock;
        this.current = current;
        this.lastSeen = current.fingerprint();
        this.lastTried = current.fingerprint();
        // The start-up log has just reported validity.
        this.lastValidityCheck = clock.instant();
    }

    @Override
    protected void doStart() throws Exception
    {
        if (!interval.isZero())
        {
            scheduler = new ScheduledExecutorScheduler("gatehouse-certificates", true);
            addBean(scheduler, true);
        }
        super.doStart();
        if (scheduler != null)
        {
            LOG.info("Watching {} certificate entr{} for changes every {} ms", entries.size(), entries.size() == 1 ? "y" : "ies", interval.toMillis());
            schedule();
        }
    }

    @Override
    protected void doStop() throws Exception
    {
        super.doStop();
        if (scheduler != null)
        {
            removeBean(scheduler);
            scheduler = null;
        }
    }

    private void schedule()
    {
        Scheduler timer = scheduler;
        if (timer != null && isRunning())
            timer.schedule(this::scanAndReschedule, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void scanAndReschedule()
    {
        try
        {
            scan();
        }
        catch (Throwable x)
        {
            LOG.error("Certificate scan failed; still serving the previous certificates", x);
        }
        finally
        {
            schedule();
        }
    }

    /**
     * One scan: reads the files; applies them if they changed and have held still since the last
     * scan. Called by the timer; tests may call it directly.
     *
     * @return whether the TLS context was reloaded
     */
    public synchronized boolean scan()
    {
        Instant now = clock.instant();
        if (Duration.between(lastValidityCheck, now).compareTo(VALIDITY_CHECK_INTERVAL) >= 0)
        {
            // A server that runs for months must say so when renewal stops working.
            lastValidityCheck = now;
            current.validityWarnings(now).forEach(warning -> LOG.warn("Certificate: {}", warning));
        }
        List<CertificateFiles> files = entries.stream().map(CertificateFiles::read).toList();
        String fingerprint = CertificateFiles.fingerprint(files);
        boolean settled = fingerprint.equals(lastSeen);
        lastSeen = fingerprint;
        if (fingerprint.equals(current.fingerprint()))
        {
            // Back to what is served (a change undone): nothing to do, and a later bad change is news again.
            lastTried = fingerprint;
            return false;
        }
        if (!settled || fingerprint.equals(lastTried))
            return false;
        lastTried = fingerprint;
        return apply(ServerCertificates.build(files, password, clock.instant()));
    }

    private boolean apply(ServerCertificates next)
    {
        if (!next.problems().isEmpty())
        {
            lastFailure = String.join("\n", next.problems());
            // One line each: Jetty's logger folds line breaks.
            LOG.error("Certificates changed but NOT reloaded; still serving the previous ones. {} problem{} (tried again when the files change):",
                next.problems().size(), next.problems().size() == 1 ? "" : "s");
            int number = 1;
            for (String problem : next.problems())
                LOG.error("  {}. {}", number++, problem);
            // Counted last, so that whoever waits for the count finds the log written.
            failures.incrementAndGet();
            return false;
        }
        ServerCertificates previous = current;
        try
        {
            sslContextFactory.reload(factory -> factory.setKeyStore(next.keyStore()));
        }
        catch (Throwable x)
        {
            lastFailure = "the TLS context refused the new certificates: " + x;
            failures.incrementAndGet();
            LOG.error("Certificates changed but the TLS context refused them; restoring the previous ones", x);
            try
            {
                sslContextFactory.reload(factory -> factory.setKeyStore(previous.keyStore()));
            }
            catch (Throwable again)
            {
                LOG.error("Could not restore the previous certificates; new TLS connections will fail until the files are fixed", again);
            }
            return false;
        }
        current = next;
        reloads.incrementAndGet();
        LOG.info("Certificates reloaded; new connections get:");
        log(next, clock);
        return true;
    }

    /**
     * Logs every certificate (file, names, issuer, expiry) and every warning.
     */
    public static void log(ServerCertificates certificates, Clock clock)
    {
        int number = 1;
        for (ServerCertificates.Certificate certificate : certificates.certificates())
        {
            LOG.info("  {}. {}{}", number, certificate.describe(clock.instant()),
                number == 1 ? " [default for clients without SNI or with an unknown name]" : "");
            number++;
        }
        for (String warning : certificates.warnings())
            LOG.warn("Certificate: {}", warning);
    }

    /**
     * @return the certificates in service
     */
    public ServerCertificates current()
    {
        return current;
    }

    /**
     * @return how many times new certificates were put in service
     */
    public long reloads()
    {
        return reloads.get();
    }

    /**
     * @return how many changes were refused
     */
    public long failures()
    {
        return failures.get();
    }

    /**
     * @return the problems of the last refused change, one per line
     */
    public String lastFailure()
    {
        return lastFailure;
    }

    @Override
    public String toString()
    {
        return String.format("%s@%x{entries=%s, interval=%s}", getClass().getSimpleName(), hashCode(), entries, interval);
    }
}
