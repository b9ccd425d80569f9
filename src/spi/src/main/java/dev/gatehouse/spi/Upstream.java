package dev.gatehouse.spi;

import java.net.URI;
import java.util.List;

/**
 * What a plugin sees of one route's upstream.
 */
public interface Upstream
{
    /**
     * @return the route's name: {@code default} for the one from {@code gatehouse.upstream},
     * otherwise the app's name
     */
    String routeName();

    /**
     * @return the host names this route answers for; empty for the default route, which answers
     * every host no other route claims
     */
    List<String> hostNames();

    /**
     * @return the upstream base URI the proxy sends requests to, e.g. {@code http://127.0.0.1:32400}
     */
    URI uri();

    /**
     * Replaces the upstream URI, for plugins that learn the real name of the upstream only when
     * they start (e.g. the plex.direct name read from the upstream's certificate). Requests sent
     * after the call use the new URI.
     */
    void uri(URI uri);
}
