package dev.gatehouse.plugin.pathblocklist;

import java.util.List;

import dev.gatehouse.core.config.InvalidConfigurationException;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The plugin in an in-process Gatehouse on real TLS, in front of a stand-in upstream.
 */
class PathBlocklistPluginTest
{
    @Test
    void refusesListedPathsInEverySpellingAndProxiesTheRest() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .plugin(new PathBlocklistPlugin())
                 .property("gatehouse.path-blocklist.paths", "/admin,/:/prefs/")
                 .start())
        {
            HttpClient client = gatehouse.http1();
            for (String path : List.of("/admin", "/admin/users", "/ADMIN", "/%61dmin", "/x/../admin", "/:/prefs", "/:/prefs/x"))
                assertEquals(404, client.GET(gatehouse.uri(path)).getStatus(), path);
            assertEquals(0, upstream.requests().size());

            for (String path : List.of("/administrator", "/web/index.html", "/"))
                assertEquals(200, client.GET(gatehouse.uri(path)).getStatus(), path);
            assertEquals(3, upstream.requests().size());
        }
    }

    @Test
    void listedNetworksStillReachThePaths() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .plugin(new PathBlocklistPlugin())
                 .property("gatehouse.path-blocklist.paths", "/admin")
                 .property("gatehouse.path-blocklist.status", "403")
                 .property("gatehouse.path-blocklist.allow-from", "127.0.0.0/8")
                 .start())
        {
            assertEquals(200, gatehouse.http2().GET(gatehouse.uri("/admin")).getStatus());
        }
    }

    @Test
    void badConfigurationIsReportedAtOnce()
    {
        InvalidConfigurationException failure = assertThrows(InvalidConfigurationException.class, () -> GatehouseHarness.builder()
            .plugin(new PathBlocklistPlugin())
            .property("gatehouse.path-blocklist.paths", "admin")
            .property("gatehouse.path-blocklist.status", "500")
            .property("gatehouse.path-blocklist.alow-from", "10.0.0.0/8")
            .start());
        assertEquals(List.of(
            "gatehouse.path-blocklist.status: '500' is not valid: use 404 or 403",
            "gatehouse.path-blocklist.paths: 'admin' does not start with '/'",
            "gatehouse.path-blocklist.alow-from: unknown property; did you mean gatehouse.path-blocklist.allow-from?"), failure.problems());
    }
}
