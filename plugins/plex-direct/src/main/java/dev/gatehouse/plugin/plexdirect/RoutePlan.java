package dev.gatehouse.plugin.plexdirect;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;

import dev.gatehouse.spi.IpLiterals;

/**
 * What the plugin does with one route, decided from the configured upstream URI alone (no I/O).
 *
 * @param mode how the plex.direct name is obtained
 * @param configured the upstream URI as configured
 * @param serverAddress the server's address (from the name or the literal), or {@code null} for another host name
 * @param name the plex.direct name when it is known without I/O ({@link Mode#NAME}, {@link Mode#HASH})
 * @param note what to tell the operator at start, or {@code null}
 */
record RoutePlan(Mode mode, URI configured, InetAddress serverAddress, PlexDirectName name, String note)
{
    enum Mode
    {
        /** The upstream is a plex.direct name: pinned, hostname verified against it. */
        NAME,
        /** The upstream is an address and the hash is configured: pinned. */
        HASH,
        /** The upstream is an address: the name is read from the server's certificate, and followed. */
        DISCOVER,
        /** Not something the plugin can name (plain http, another host name): only the hop rules apply. */
        NONE
    }

    /**
     * @throws IllegalStateException with a message naming the key to change
     */
    static RoutePlan of(URI upstream, PlexDirectConfig config)
    {
        String host = upstream.getHost();
        if (host == null)
            throw new IllegalStateException("gatehouse.upstream=" + upstream + " has no host name the plex-direct plugin can read; write https://<a-b-c-d>.<hash>.plex.direct:32400 or https://<IPv4>:32400");
        boolean https = "https".equalsIgnoreCase(upstream.getScheme());
        InetAddress literal = IpLiterals.parseOrNull(host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host);
        if (PlexDirectName.looksLikePlexDirect(host))
        {
            PlexDirectName name;
            try
            {
                name = PlexDirectName.parse(host);
            }
            catch (IllegalArgumentException e)
            {
                throw new IllegalStateException("gatehouse.upstream: " + e.getMessage() + ". A plex.direct name is <address>.<hash>.plex.direct, e.g. https://10-0-0-5.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct:32400; or give https://10.0.0.5:32400 and let Gatehouse read the name from the server's certificate");
            }
            if (!config.getHash().isEmpty() && !config.getHash().equals(name.hash()))
                throw new IllegalStateException("gatehouse.plex-direct.hash=" + config.getHash() + " contradicts the hash in gatehouse.upstream (" + name.hash() + "); remove one of them");
            if (!https)
                return new RoutePlan(Mode.NONE, upstream, name.address(), name, "the upstream is plain http: Plex does not count the hop as secure; use https://" + host + (upstream.getPort() > 0 ? ":" + upstream.getPort() : ""));
            return new RoutePlan(Mode.NAME, upstream, name.address(), name, null);
        }
        if (literal == null)
            return new RoutePlan(Mode.NONE, upstream, null, null, "the upstream host '" + host + "' is neither a plex.direct name nor an IP address: the plex-direct plugin leaves its name and DNS alone (IPv4 answers are still preferred)");
        if (!https)
            return new RoutePlan(Mode.NONE, upstream, literal, null, "the upstream is plain http: Plex does not count the hop as secure; use https://" + host + (upstream.getPort() > 0 ? ":" + upstream.getPort() : "") + " and Gatehouse will find the server's plex.direct name");
        if (!config.getHash().isEmpty())
            return new RoutePlan(Mode.HASH, upstream, literal, PlexDirectName.of(literal, config.getHash()), null);
        if (config.isDiscovery())
            return new RoutePlan(Mode.DISCOVER, upstream, literal, null, null);
        throw new IllegalStateException("gatehouse.upstream=" + upstream + " is an address, so TLS cannot verify it, and gatehouse.plex-direct.discovery=false: set gatehouse.plex-direct.hash=<the 32 hex digits of *.<hash>.plex.direct>, or turn discovery on, or write https://<a-b-c-d>.<hash>.plex.direct:" + port(upstream));
    }

    static int port(URI uri)
    {
        return uri.getPort() > 0 ? uri.getPort() : ("https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80);
    }

    /**
     * @return the configured URI with the host replaced by the name (scheme, port and path kept)
     */
    static URI withHost(URI configured, PlexDirectName name)
    {
        try
        {
            return new URI(configured.getScheme(), null, name.name(), configured.getPort(), configured.getRawPath() == null || configured.getRawPath().isEmpty() ? null : configured.getPath(), null, null);
        }
        catch (URISyntaxException e)
        {
            throw new IllegalStateException("cannot build an upstream URI for " + name + ": " + e.getMessage(), e);
        }
    }
}
