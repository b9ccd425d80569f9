package dev.gatehouse.core.proxy;

import java.net.URI;
import java.util.List;

import dev.gatehouse.spi.Upstream;
import org.eclipse.jetty.http.HttpURI;

/**
 * One app behind the proxy: the host names it answers for and where its upstream is.
 */
public final class Route implements Upstream
{
    private final String name;
    private final List<String> hostNames;
    private volatile Target target;

    public Route(String name, List<String> hostNames, URI uri)
    {
        this.name = name;
        this.hostNames = List.copyOf(hostNames);
        this.target = Target.of(uri);
    }

    @Override
    public String routeName()
    {
        return name;
    }

    @Override
    public List<String> hostNames()
    {
        return hostNames;
    }

    @Override
    public URI uri()
    {
        return target.uri();
    }

    @Override
    public void uri(URI uri)
    {
        this.target = Target.of(uri);
    }

    /**
     * @return the port, with the scheme's default when the URI names none
     */
    public int port()
    {
        return target.port();
    }

    /**
     * @return {@code scheme://host:port} of the upstream, which every proxied request starts from.
     * Parsed once per change of the URI rather than per request: {@code java.net.URI} throws and
     * catches an exception inside for a host that starts with a digit, as every plex.direct name does.
     */
    public URI origin()
    {
        return target.origin();
    }

    @Override
    public String toString()
    {
        return name + " -> " + uri();
    }

    /**
     * The upstream's URI and what is derived from it, replaced as one (plex.direct discovery and
     * renewals change the URI while requests read it).
     */
    private record Target(URI uri, int port, URI origin)
    {
        static Target of(URI uri)
        {
            int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
            return new Target(uri, port, HttpURI.build().scheme(uri.getScheme()).host(uri.getHost()).port(port).toURI());
        }
    }
}
