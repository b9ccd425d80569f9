package dev.gatehouse.core.proxy;

import java.net.URI;
import java.util.List;

import dev.gatehouse.spi.Upstream;

/**
 * One app behind the proxy: the host names it answers for and where its upstream is.
 */
public final class Route implements Upstream
{
    private final String name;
    private final List<String> hostNames;
    private volatile URI uri;

    public Route(String name, List<String> hostNames, URI uri)
    {
        this.name = name;
        this.hostNames = List.copyOf(hostNames);
        this.uri = uri;
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
        return uri;
    }

    @Override
    public void uri(URI uri)
    {
        this.uri = uri;
    }

    /**
     * @return the port, with the scheme's default when the URI names none
     */
    public int port()
    {
        URI current = uri;
        if (current.getPort() > 0)
            return current.getPort();
        return "https".equals(current.getScheme()) ? 443 : 80;
    }

    @Override
    public String toString()
    {
        return name + " -> " + uri;
    }
}
