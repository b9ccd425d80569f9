package dev.gatehouse.core.tls;

import java.security.Provider;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import dev.gatehouse.core.tls.TlsProviders.Choice;
import dev.gatehouse.core.tls.TlsProviders.Loaded;
import dev.gatehouse.core.tls.TlsProviders.Setting;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * gatehouse.tls.provider against jetty.sslContext.provider and whether Conscrypt loads. The
 * distribution tests start the real thing (Conscrypt loading, and not loading); these pin the
 * decision table and its messages.
 */
class TlsProvidersTest
{
    private static final String NOT_HERE = "UnsatisfiedLinkError: no conscrypt_openjdk_jni-linux-s390_64 in java.library.path";

    private final AtomicInteger loads = new AtomicInteger();

    private Supplier<Loaded> loading()
    {
        Provider conscrypt = new Provider(TlsProviders.CONSCRYPT, "2.9.0", "stand-in")
        {
        };
        return () ->
        {
            loads.incrementAndGet();
            return new Loaded(conscrypt, null);
        };
    }

    private Supplier<Loaded> failing()
    {
        return () ->
        {
            loads.incrementAndGet();
            return new Loaded(null, NOT_HERE);
        };
    }

    @Test
    void autoTakesConscryptWhereItLoads()
    {
        assertEquals(new Choice("Conscrypt", null, null), TlsProviders.choose(Setting.AUTO, null, loading()));
    }

    @Test
    void autoFallsBackToTheJdkAndSaysWhy()
    {
        assertEquals(new Choice(null, NOT_HERE, null), TlsProviders.choose(Setting.AUTO, null, failing()));
    }

    @Test
    void autoLeavesAnExplicitProviderAloneWithoutLoadingConscrypt()
    {
        assertEquals(new Choice("SunJSSE", null, null), TlsProviders.choose(Setting.AUTO, "SunJSSE", loading()));
        assertEquals(0, loads.get());
    }

    @Test
    void anExplicitConscryptThatDoesNotLoadStopsTheStart()
    {
        Choice choice = TlsProviders.choose(Setting.AUTO, "Conscrypt", failing());
        assertEquals("jetty.sslContext.provider=Conscrypt, but Conscrypt does not load here: " + NOT_HERE +
            ". Set gatehouse.tls.provider=auto (Conscrypt when it loads, else the JDK's TLS) or jdk", choice.problem());
        assertEquals(new Choice("Conscrypt", null, null), TlsProviders.choose(Setting.AUTO, "Conscrypt", loading()));
    }

    @Test
    void jdkNeverLoadsConscrypt()
    {
        assertEquals(new Choice(null, null, null), TlsProviders.choose(Setting.JDK, null, loading()));
        assertEquals(0, loads.get());
    }

    @Test
    void jdkContradictedByJettysProviderPropertyIsAProblem()
    {
        assertEquals("jetty.sslContext.provider=Conscrypt contradicts gatehouse.tls.provider=jdk; remove one of them " +
                "(a gatehouse-conscrypt module enabled before Conscrypt became the default sets the first in start.d/gatehouse-conscrypt.ini)",
            TlsProviders.choose(Setting.JDK, "Conscrypt", loading()).problem());
    }

    @Test
    void conscryptOrNoStart()
    {
        assertEquals(new Choice("Conscrypt", null, null), TlsProviders.choose(Setting.CONSCRYPT, null, loading()));
        assertEquals("gatehouse.tls.provider=conscrypt, but Conscrypt does not load here: " + NOT_HERE +
            ". Set gatehouse.tls.provider=auto (Conscrypt when it loads, else the JDK's TLS) or jdk", TlsProviders.choose(Setting.CONSCRYPT, null, failing()).problem());
        assertEquals("jetty.sslContext.provider=SunJSSE contradicts gatehouse.tls.provider=conscrypt; remove one of them",
            TlsProviders.choose(Setting.CONSCRYPT, "SunJSSE", loading()).problem());
    }

    @Test
    void theUpstreamClientFollowsItsOwnSettingWithTheSameRules()
    {
        assertEquals(new Choice("Conscrypt", null, null), TlsProviders.chooseUpstream(Setting.AUTO, loading()));
        assertEquals(new Choice(null, NOT_HERE, null), TlsProviders.chooseUpstream(Setting.AUTO, failing()));
        assertEquals(new Choice("Conscrypt", null, null), TlsProviders.chooseUpstream(Setting.CONSCRYPT, loading()));
        assertEquals("gatehouse.upstream.tls-provider=conscrypt, but Conscrypt does not load here: " + NOT_HERE +
            ". Set gatehouse.upstream.tls-provider=auto (Conscrypt when it loads, else the JDK's TLS) or jdk",
            TlsProviders.chooseUpstream(Setting.CONSCRYPT, failing()).problem());
        assertEquals(4, loads.get());
        assertEquals(new Choice(null, null, null), TlsProviders.chooseUpstream(Setting.JDK, loading()));
        assertEquals(4, loads.get(), "jdk never loads Conscrypt");
    }

    @Test
    void withoutItsJarConscryptDoesNotLoadAndTheReasonSaysSo()
    {
        // Gatehouse's core does not depend on Conscrypt: the distribution puts its jar on the class path.
        Loaded loaded = TlsProviders.loadConscrypt();
        assertFalse(loaded.succeeded());
        assertNull(loaded.provider());
        assertEquals("its jar is not on the class path (the distribution ships it in lib/gatehouse/conscrypt/)", loaded.failure());
        assertEquals(new Choice(null, loaded.failure(), null), TlsProviders.choose(Setting.AUTO, null));
    }
}
