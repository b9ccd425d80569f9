package dev.gatehouse.core.tls;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.InvocationTargetException;
import java.security.Provider;
import java.security.Security;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;

/**
 * Which TLS implementation serves the HTTPS listeners and speaks to https upstreams: Conscrypt
 * (BoringSSL through JNI) when its native library loads on this machine, the JDK's otherwise. The
 * two sides are chosen separately ({@code gatehouse.tls.provider}, {@code gatehouse.upstream.tls-provider}).
 *
 * <p>Conscrypt makes new TLS connections about 1.3-1.6x as fast as JDK 17's TLS on the benchmark
 * machine (1.2-1.6 vs 2.4-3.5 ms of CPU per connection with one request). As the upstream client it
 * takes the record encryption off JDK 17's AES-GCM (a quarter of a download's CPU). But its native
 * library exists for Linux with glibc, macOS and Windows only, and is unpacked into a temporary
 * directory that must allow executing it. A default has to start everywhere, so
 * {@link Setting#AUTO} falls back to the JDK, and says why, when the library does not load;
 * {@link Setting#CONSCRYPT} makes that a start-up error instead.
 *
 * <p>Conscrypt is looked up by name: it is a jar of the distribution ({@code lib/gatehouse/conscrypt/}),
 * not of Gatehouse's core, and an embedding without it gets the JDK's TLS.
 */
public final class TlsProviders
{
    public static final String CONSCRYPT = "Conscrypt";
    static final String LISTENER_KEY = "gatehouse.tls.provider";
    public static final String UPSTREAM_KEY = "gatehouse.upstream.tls-provider";
    private static final String CONSCRYPT_CLASS = "org.conscrypt.Conscrypt";

    private TlsProviders()
    {
    }

    /**
     * The {@code gatehouse.tls.provider} and {@code gatehouse.upstream.tls-provider} settings.
     */
    public enum Setting
    {
        /** Conscrypt when its native library loads here, else the JDK's TLS. */
        AUTO,
        /** The JDK's TLS (SunJSSE). */
        JDK,
        /** Conscrypt, or no start. */
        CONSCRYPT
    }

    /**
     * What serves TLS, and why.
     *
     * @param provider the JCA provider to name on the TLS context, or {@code null} for the JDK's default
     * @param fallbackReason when {@link Setting#AUTO} fell back to the JDK: why Conscrypt did not load
     * @param problem a configuration error that must stop the start, or {@code null}
     */
    public record Choice(String provider, String fallbackReason, String problem)
    {
        static Choice of(String provider)
        {
            return new Choice(provider, null, null);
        }
    }

    /**
     * Conscrypt loaded, or why not in one line.
     */
    record Loaded(Provider provider, String failure)
    {
        boolean succeeded()
        {
            return provider != null;
        }
    }

    /**
     * Chooses the listeners' TLS, and for Conscrypt registers its JCA provider (last in the list, so
     * that only what asks for it by name uses it).
     *
     * @param setting {@code gatehouse.tls.provider}
     * @param explicitProvider what {@code jetty.sslContext.provider} names, or {@code null}
     */
    public static Choice choose(Setting setting, String explicitProvider)
    {
        return choose(setting, explicitProvider, TlsProviders::loadConscrypt);
    }

    static Choice choose(Setting setting, String explicitProvider, Supplier<Loaded> conscrypt)
    {
        boolean explicitConscrypt = CONSCRYPT.equals(explicitProvider);
        switch (setting)
        {
            case JDK:
                if (explicitConscrypt)
                    return new Choice(null, null, "jetty.sslContext.provider=Conscrypt contradicts " + LISTENER_KEY + "=jdk; " +
                        "remove one of them (a gatehouse-conscrypt module enabled before Conscrypt became the default sets the first in start.d/gatehouse-conscrypt.ini)");
                return Choice.of(explicitProvider);
            case CONSCRYPT:
                if (explicitProvider != null && !explicitConscrypt)
                    return new Choice(null, null, "jetty.sslContext.provider=" + explicitProvider + " contradicts " + LISTENER_KEY + "=conscrypt; remove one of them");
                return required(conscrypt, LISTENER_KEY + "=conscrypt", LISTENER_KEY);
            case AUTO:
            default:
                if (explicitConscrypt)
                    return required(conscrypt, "jetty.sslContext.provider=Conscrypt", LISTENER_KEY);
                if (explicitProvider != null)
                    return Choice.of(explicitProvider);
                Loaded loaded = conscrypt.get();
                return loaded.succeeded() ? Choice.of(CONSCRYPT) : new Choice(null, loaded.failure(), null);
        }
    }

    /**
     * Chooses the upstream client's TLS: the same rules as the listeners', with no Jetty property
     * to honour.
     *
     * @param setting {@code gatehouse.upstream.tls-provider}
     */
    public static Choice chooseUpstream(Setting setting)
    {
        return chooseUpstream(setting, TlsProviders::loadConscrypt);
    }

    static Choice chooseUpstream(Setting setting, Supplier<Loaded> conscrypt)
    {
        switch (setting)
        {
            case JDK:
                return Choice.of(null);
            case CONSCRYPT:
                return required(conscrypt, UPSTREAM_KEY + "=conscrypt", UPSTREAM_KEY);
            case AUTO:
            default:
                Loaded loaded = conscrypt.get();
                return loaded.succeeded() ? Choice.of(CONSCRYPT) : new Choice(null, loaded.failure(), null);
        }
    }

    private static Choice required(Supplier<Loaded> conscrypt, String what, String key)
    {
        Loaded loaded = conscrypt.get();
        if (loaded.succeeded())
            return Choice.of(CONSCRYPT);
        return new Choice(null, null, what + ", but Conscrypt does not load here: " + loaded.failure() +
            ". Set " + key + "=auto (Conscrypt when it loads, else the JDK's TLS) or jdk");
    }

    /**
     * Loads Conscrypt's native library (once per JVM: Conscrypt remembers the outcome) and
     * registers its provider.
     */
    static Loaded loadConscrypt()
    {
        Provider registered = Security.getProvider(CONSCRYPT);
        if (registered != null)
            return new Loaded(registered, null);
        try
        {
            Class<?> conscrypt = Class.forName(CONSCRYPT_CLASS, true, TlsProviders.class.getClassLoader());
            // Throws the library's UnsatisfiedLinkError (wrong platform, musl, a noexec temporary
            // directory) where isAvailable() would only say false.
            conscrypt.getMethod("checkAvailability").invoke(null);
            Provider provider = (Provider)conscrypt.getMethod("newProvider").invoke(null);
            Security.addProvider(provider);
            return new Loaded(provider, null);
        }
        catch (ClassNotFoundException | NoClassDefFoundError e)
        {
            return new Loaded(null, "its jar is not on the class path (the distribution ships it in lib/gatehouse/conscrypt/)");
        }
        catch (InvocationTargetException e)
        {
            return new Loaded(null, describe(e.getCause()));
        }
        catch (ReflectiveOperationException | RuntimeException | LinkageError e)
        {
            return new Loaded(null, describe(e));
        }
    }

    /** Whether the context's engines are Conscrypt's. */
    static boolean isConscrypt(SSLContext context)
    {
        return CONSCRYPT.equals(context.getProvider().getName());
    }

    /**
     * Lets a Conscrypt server engine issue session tickets. Conscrypt turns them off on every
     * context it makes (BoringSSL's SSL_OP_NO_TICKET) unless asked per engine, and TLS 1.3 resumes
     * by tickets only: without them every returning browser or app did a full handshake, where
     * the JDK's TLS resumed. BoringSSL makes and rotates the ticket keys itself, and resumes TLS 1.3
     * with a fresh (EC)DHE exchange only (psk_dhe_ke), as the JDK does. Other engines are left alone.
     */
    public static void enableSessionTickets(SSLEngine engine)
    {
        if (!engine.getClass().getName().startsWith("org.conscrypt."))
            return;
        try
        {
            ConscryptTickets.SET_USE_SESSION_TICKETS.invokeExact(engine, true);
        }
        catch (Throwable e)
        {
            throw new IllegalStateException("cannot enable Conscrypt's session tickets", e);
        }
    }

    /** Conscrypt's per-engine switch, looked up once (Conscrypt is not a compile-time dependency). */
    private static final class ConscryptTickets
    {
        private static final MethodHandle SET_USE_SESSION_TICKETS = find();

        private static MethodHandle find()
        {
            try
            {
                Class<?> conscrypt = Class.forName(CONSCRYPT_CLASS, true, TlsProviders.class.getClassLoader());
                return MethodHandles.publicLookup().findStatic(conscrypt, "setUseSessionTickets", MethodType.methodType(void.class, SSLEngine.class, boolean.class));
            }
            catch (ReflectiveOperationException e)
            {
                throw new IllegalStateException("Conscrypt's engine without Conscrypt.setUseSessionTickets", e);
            }
        }
    }

    private static String describe(Throwable failure)
    {
        // The interesting message is often the innermost one (the dlopen error).
        Throwable innermost = failure;
        while (innermost.getCause() != null && innermost.getCause() != innermost)
            innermost = innermost.getCause();
        String message = innermost.getMessage() == null ? "" : ": " + innermost.getMessage().strip();
        return innermost.getClass().getSimpleName() + message;
    }
}
