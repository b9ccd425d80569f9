package dev.gatehouse.bench;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

import dev.gatehouse.core.proxy.ForwardedHeaders;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.HostPort;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Header application on the way upstream: {@link ForwardedHeaders#rebuild}, which every proxied
 * request runs (delete every client claim in any spelling, then set X-Forwarded-*, X-Real-IP).
 * Each invocation copies the incoming headers first, as the proxy does; {@link #copyOnly} is that
 * copy alone (cheap: the copy of an immutable HttpFields is made lazily, on the first change, so
 * the rebuild figures include the real copy).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class ForwardedHeadersBenchmark
{
    private static final org.eclipse.jetty.server.HttpConfiguration CONFIGURATION = new org.eclipse.jetty.server.HttpConfiguration();

    private Request ipv4;
    private Request ipv6;
    private HttpFields browserHeaders;
    private HttpFields spoofingHeaders;

    @Setup
    public void setUp()
    {
        ipv4 = request(new InetSocketAddress("198.51.100.23", 51234));
        ipv6 = request(new InetSocketAddress("2001:db8:0:0:1:0:0:1", 51234));
        browserHeaders = HttpFields.build()
            .add("Host", "plex.example.com")
            .add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
            .add("Accept", "application/json")
            .add("Accept-Language", "en-GB,en;q=0.9")
            .add("Accept-Encoding", "gzip, deflate, br")
            .add("X-Plex-Token", "abcdefghijklmnopqrst")
            .add("X-Plex-Client-Identifier", "0123456789abcdef")
            .add("X-Plex-Product", "Plex Web")
            .add("X-Plex-Version", "4.123.0")
            .add("Cookie", "a=b; c=d")
            .add("Connection", "keep-alive")
            .asImmutable();
        spoofingHeaders = HttpFields.build(browserHeaders)
            .add("X-Forwarded-For", "10.0.0.1")
            .add("X_Forwarded_For", "10.0.0.2")
            .add("X-Real-IP", "10.0.0.3")
            .add("Forwarded", "for=10.0.0.4")
            .add("CF-Connecting-IP", "10.0.0.5")
            .asImmutable();
    }

    private static Request request(InetSocketAddress remote)
    {
        HttpURI uri = HttpURI.build("https://plex.example.com/library/sections?X-Plex-Token=abc").asImmutable();
        InetSocketAddress local = new InetSocketAddress("127.0.0.1", 443);
        ConnectionMetaData metaData = new ConnectionMetaData.Wrapper(inert(ConnectionMetaData.class))
        {
            @Override
            public SocketAddress getRemoteSocketAddress()
            {
                return remote;
            }

            @Override
            public SocketAddress getLocalSocketAddress()
            {
                return local;
            }

            @Override
            public org.eclipse.jetty.server.HttpConfiguration getHttpConfiguration()
            {
                return CONFIGURATION;
            }

            @Override
            public HostPort getServerAuthority()
            {
                return null;
            }

            @Override
            public boolean isSecure()
            {
                return true;
            }
        };
        return new Request.Wrapper(inert(Request.class))
        {
            @Override
            public HttpURI getHttpURI()
            {
                return uri;
            }

            @Override
            public ConnectionMetaData getConnectionMetaData()
            {
                return metaData;
            }

            @Override
            public boolean isSecure()
            {
                return true;
            }
        };
    }

    /**
     * A stand-in for the wrapped object that the wrappers require: every method the benchmark
     * uses is overridden, anything else fails loudly.
     */
    private static <T> T inert(Class<T> type)
    {
        return type.cast(java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (proxy, method, args) ->
        {
            throw new UnsupportedOperationException(method.toString());
        }));
    }

    @Benchmark
    public HttpFields.Mutable copyOnly()
    {
        return HttpFields.build(browserHeaders);
    }

    @Benchmark
    public HttpFields.Mutable rebuildIpv4()
    {
        HttpFields.Mutable outgoing = HttpFields.build(browserHeaders);
        ForwardedHeaders.rebuild(ipv4, outgoing);
        return outgoing;
    }

    @Benchmark
    public HttpFields.Mutable rebuildIpv6()
    {
        HttpFields.Mutable outgoing = HttpFields.build(browserHeaders);
        ForwardedHeaders.rebuild(ipv6, outgoing);
        return outgoing;
    }

    /** A client that sent five forged forwarding headers, all removed. */
    @Benchmark
    public HttpFields.Mutable rebuildSpoofed()
    {
        HttpFields.Mutable outgoing = HttpFields.build(spoofingHeaders);
        ForwardedHeaders.rebuild(ipv4, outgoing);
        return outgoing;
    }
}
