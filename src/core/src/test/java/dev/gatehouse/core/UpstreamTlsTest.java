package dev.gatehouse.core;

import java.util.List;

import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.tls.TlsProviders;
import dev.gatehouse.core.tls.TlsProviders.Choice;
import dev.gatehouse.core.tls.TlsProviders.Setting;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The upstream client's TLS provider against the upstream protocol and the jars present. Core's
 * test class path has neither Conscrypt nor Jetty's ALPN for it, as an embedding without the
 * distribution's jars; the proxy tests (testkit, plex-direct) and the distribution's run with both.
 */
class UpstreamTlsTest
{
    private static final Choice CONSCRYPT = new Choice(TlsProviders.CONSCRYPT, null, null);

    private static CoreConfig core(Setting setting, CoreConfig.UpstreamProtocol protocol)
    {
        CoreConfig core = new CoreConfig();
        core.setUpstreamTlsProvider(setting);
        core.setUpstreamProtocol(protocol);
        return core;
    }

    @Test
    void conscryptNeedsNoAlpnForHttp1()
    {
        assertSame(CONSCRYPT, UpstreamTls.decide(CONSCRYPT, core(Setting.CONSCRYPT, CoreConfig.UpstreamProtocol.HTTP1), false));
        assertSame(CONSCRYPT, UpstreamTls.decide(CONSCRYPT, core(Setting.AUTO, CoreConfig.UpstreamProtocol.HTTP2), true));
    }

    @Test
    void autoFallsBackToTheJdkWhenConscryptCannotOfferH2()
    {
        assertEquals(new Choice(null, "Conscrypt cannot offer h2 here: jetty-alpn-conscrypt-client is not on the class path, and " +
                "gatehouse.upstream.protocol=http2 needs ALPN (the distribution ships it in lib/gatehouse/conscrypt/)", null),
            UpstreamTls.decide(CONSCRYPT, core(Setting.AUTO, CoreConfig.UpstreamProtocol.HTTP2), false));
    }

    @Test
    void aLoadFailureIsWordedForTheLog()
    {
        assertEquals(new Choice(null, "Conscrypt does not load here (UnsatisfiedLinkError: no conscrypt_openjdk_jni-linux-s390_64)", null),
            UpstreamTls.decide(new Choice(null, "UnsatisfiedLinkError: no conscrypt_openjdk_jni-linux-s390_64", null), core(Setting.AUTO, CoreConfig.UpstreamProtocol.HTTP1), true));
    }

    @Test
    void conscryptRequiredWithoutAlpnForH2IsAProblem()
    {
        assertEquals("gatehouse.upstream.tls-provider=conscrypt, but jetty-alpn-conscrypt-client is not on the class path, and " +
                "gatehouse.upstream.protocol=auto needs ALPN (the distribution ships it in lib/gatehouse/conscrypt/). " +
                "Set gatehouse.upstream.tls-provider=auto or jdk",
            UpstreamTls.decide(CONSCRYPT, core(Setting.CONSCRYPT, CoreConfig.UpstreamProtocol.AUTO), false).problem());
    }

    @Test
    void withoutConscryptsJarAutoIsTheJdksTlsAndConscryptStopsTheStart()
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        SslContextFactory.Client tls = UpstreamTls.create("default", core(Setting.AUTO, CoreConfig.UpstreamProtocol.HTTP1), problems);
        assertEquals(List.of(), problems.list());
        assertNull(tls.getProvider());
        assertEquals("HTTPS", tls.getEndpointIdentificationAlgorithm());

        UpstreamTls.create("default", core(Setting.CONSCRYPT, CoreConfig.UpstreamProtocol.HTTP1), problems);
        assertEquals(List.of("gatehouse.upstream.tls-provider: gatehouse.upstream.tls-provider=conscrypt, but Conscrypt does not load here: " +
            "its jar is not on the class path (the distribution ships it in lib/gatehouse/conscrypt/). " +
            "Set gatehouse.upstream.tls-provider=auto (Conscrypt when it loads, else the JDK's TLS) or jdk"), problems.list());
    }
}
