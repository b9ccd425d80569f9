package dev.gatehouse.plugin.forwarded;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.gatehouse.spi.Cidr;
import org.eclipse.jetty.http.HttpFields;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Client-identity resolution ({@link ClientResolver#resolve}), the forwarded plugin's per-request
 * work, in the package of the class it measures (the resolver is package-private). Settings like a
 * Plex setup behind cloudflared and a LAN proxy: internal = loopback + 192.168.1.2, trusted =
 * Cloudflare's ranges, X-Forwarded-For walked.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class ClientResolverBenchmark
{
    private ClientResolver resolver;
    private ClientResolver forwardedResolver;
    private ClientResolver nobodyResolver;
    private InetAddress untrustedPeer;
    private InetAddress loopbackPeer;
    private HttpFields oneHop;
    private HttpFields threeHops;
    private HttpFields forwarded;
    private HttpFields plain;

    @Setup
    public void setUp() throws Exception
    {
        AddressSet internal = new AddressSet(List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"), Cidr.parse("192.168.1.2/32")));
        AddressSet cloudflare = new AddressSet(cloudflareRanges());
        resolver = new ClientResolver(new ClientResolver.Settings(internal, cloudflare, AddressSet.EMPTY, HeaderSource.X_FORWARDED_FOR, true, false, false, 20));
        forwardedResolver = new ClientResolver(new ClientResolver.Settings(internal, cloudflare, AddressSet.EMPTY, HeaderSource.FORWARDED, true, false, false, 20));
        nobodyResolver = new ClientResolver(new ClientResolver.Settings(AddressSet.EMPTY, AddressSet.EMPTY, AddressSet.EMPTY, HeaderSource.X_FORWARDED_FOR, true, false, false, 20));
        untrustedPeer = InetAddress.getByAddress(new byte[]{(byte)203, 0, 113, 7});
        loopbackPeer = InetAddress.getByAddress(new byte[]{127, 0, 0, 1});
        plain = HttpFields.build()
            .add("Host", "plex.example.com")
            .add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
            .add("Accept", "*/*")
            .add("Accept-Encoding", "gzip, deflate, br")
            .add("X-Plex-Token", "abcdefghijklmnopqrst")
            .asImmutable();
        oneHop = HttpFields.build(plain).add("X-Forwarded-For", "198.51.100.23").add("X-Forwarded-Proto", "https").asImmutable();
        threeHops = HttpFields.build(plain).add("X-Forwarded-For", "198.51.100.23, 104.16.0.1, 192.168.1.2").add("X-Forwarded-Proto", "https").asImmutable();
        forwarded = HttpFields.build(plain).add("Forwarded", "for=198.51.100.23;proto=https, for=104.16.0.1;proto=https").asImmutable();
    }

    private static List<Cidr> cloudflareRanges() throws Exception
    {
        // The repository's list when run from the checkout; a few ranges otherwise.
        for (Path path = Path.of("").toAbsolutePath(); path != null; path = path.getParent())
        {
            Path file = path.resolve("etc/gatehouse/cloudflare-ips.txt");
            if (Files.isRegularFile(file))
                return CloudflareRanges.read(file);
        }
        return List.of(Cidr.parse("173.245.48.0/20"), Cidr.parse("104.16.0.0/13"), Cidr.parse("2606:4700::/32"));
    }

    /** Nobody trusted: the plugin's default; returns at once. */
    @Benchmark
    public Object nobodyTrusted()
    {
        return nobodyResolver.resolve(loopbackPeer, 40000, oneHop);
    }

    /** A direct client that is no proxy: one address-set lookup, no header read. */
    @Benchmark
    public Object untrustedPeer()
    {
        return resolver.resolve(untrustedPeer, 40000, oneHop);
    }

    /** cloudflared on loopback, one X-Forwarded-For entry. */
    @Benchmark
    public Object xffOneHop()
    {
        return resolver.resolve(loopbackPeer, 40000, oneHop);
    }

    /** client, Cloudflare, LAN proxy, then loopback: a three-entry walk crossing a trusted proxy. */
    @Benchmark
    public Object xffThreeHops()
    {
        return resolver.resolve(loopbackPeer, 40000, threeHops);
    }

    /** RFC 7239 Forwarded, two elements with proto. */
    @Benchmark
    public Object forwardedTwoElements()
    {
        return forwardedResolver.resolve(loopbackPeer, 40000, forwarded);
    }

    /** A trusted peer that forwarded nothing. */
    @Benchmark
    public Object trustedPeerNoHeader()
    {
        return resolver.resolve(loopbackPeer, 40000, plain);
    }
}
