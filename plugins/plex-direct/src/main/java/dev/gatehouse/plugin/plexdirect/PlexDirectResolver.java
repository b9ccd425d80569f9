package dev.gatehouse.plugin.plexdirect;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;

/**
 * Resolves {@code <address>.<hash>.plex.direct} to the address in the name without DNS, keeping
 * the name on the {@link java.net.InetAddress}: Jetty's TLS connection factory takes the SNI and the
 * hostname to verify from {@link InetSocketAddress#getHostString()}, so the socket goes to the
 * address while the certificate is checked against the name (research/jetty.md 2, "the resolver
 * trick"). Any other host goes to the fallback resolver, IPv4 answers first and alone when there
 * are any, because Plex ignores {@code X-Forwarded-For} from an IPv6 peer.
 */
final class PlexDirectResolver implements SocketAddressResolver
{
    private final Supplier<SocketAddressResolver> fallback;

    /**
     * @param fallback the resolver for other hosts; asked for lazily, once the client has started
     */
    PlexDirectResolver(Supplier<SocketAddressResolver> fallback)
    {
        this.fallback = fallback;
    }

    @Override
    public void resolve(String host, int port, Map<String, Object> context, Promise<List<InetSocketAddress>> promise)
    {
        if (PlexDirectName.looksLikePlexDirect(host))
        {
            PlexDirectName name;
            try
            {
                name = PlexDirectName.parse(host);
            }
            catch (IllegalArgumentException e)
            {
                // Never ask DNS for a malformed plex.direct name: Plex's DNS would answer anything.
                promise.failed(new java.net.UnknownHostException(e.getMessage()));
                return;
            }
            promise.succeeded(List.of(new InetSocketAddress(name.addressNamed(), port)));
            return;
        }
        fallback.get().resolve(host, port, context, new Promise<>()
        {
            @Override
            public void succeeded(List<InetSocketAddress> addresses)
            {
                List<InetSocketAddress> ipv4 = addresses.stream().filter(address -> address.getAddress() instanceof Inet4Address).toList();
                promise.succeeded(ipv4.isEmpty() ? addresses : ipv4);
            }

            @Override
            public void failed(Throwable failure)
            {
                promise.failed(failure);
            }
        });
    }
}
