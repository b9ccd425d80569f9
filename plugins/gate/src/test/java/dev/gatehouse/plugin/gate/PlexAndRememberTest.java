package dev.gatehouse.plugin.gate;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two ways in for Plex's native apps: an X-Plex-Token the upstream accepts, and a network
 * remembered after a browser login, which survives a restart.
 */
class PlexAndRememberTest
{
    static final String GOOD = "GoodPlexToken-123456";
    static final String BAD = "BadPlexToken-6543210";

    @TempDir
    Path base;

    /**
     * A stand-in Plex: {@code /} answers 200 to the good token and 401 to anything else (as PMS
     * does); other paths answer 200.
     */
    static final class StandInPlex extends Handler.Abstract.NonBlocking
    {
        final AtomicInteger checks = new AtomicInteger();

        @Override
        public boolean handle(Request request, Response response, Callback callback)
        {
            if (request.getHttpURI().getPath().equals("/"))
            {
                checks.incrementAndGet();
                response.setStatus(GOOD.equals(request.getHeaders().get("X-Plex-Token")) ? 200 : 401);
            }
            response.write(true, ByteBuffer.wrap("<MediaContainer/>".getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
    }

    @Test
    void aPlexTokenThatThePlexUpstreamAcceptsAdmitsNativeApps() throws Exception
    {
        Minted minted = Minted.get();
        StandInPlex plex = new StandInPlex();
        Files.writeString(base.resolve("rules.txt"), "plex-token\n");
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain().handler(plex);
             GatehouseHarness gatehouse = GatehouseHarness.builder().base(base).upstream(upstream.uri()).plugin(new GatePlugin())
                 .property("gatehouse.gate.cloudflare-team", Minted.TEAM)
                 .property("gatehouse.gate.jwks-url", keys.certsUri().toString())
                 .property("gatehouse.gate.audiences", Minted.AUDIENCE)
                 .property("gatehouse.gate.rules-file", "rules.txt")
                 .property("gatehouse.gate.plex-token-checks-per-minute", "5")
                 .start())
        {
            HttpClient client = gatehouse.http1();
            for (int i = 0; i < 5; i++)
                assertEquals(200, client.newRequest(gatehouse.uri("/library/sections")).headers(h -> h.put("X-Plex-Token", GOOD)).send().getStatus());
            assertEquals(200, client.GET(gatehouse.uri("/library/sections?X-Plex-Token=" + GOOD)).getStatus(), "also from the query, as Plex clients send it");
            assertEquals(1, plex.checks.get(), "checked once, then cached");
            for (int i = 0; i < 5; i++)
                assertEquals(401, client.newRequest(gatehouse.uri("/library/sections")).headers(h -> h.put("X-Plex-Token", BAD)).send().getStatus(),
                    "refused by Plex: falls through to the default (a valid Access token)");
            assertEquals(2, plex.checks.get(), "a refused token is negative-cached");
            assertEquals(200, client.newRequest(gatehouse.uri("/library/sections")).headers(h -> h.put("X-Plex-Token", BAD).put(IdentityHeaders.ASSERTION, minted.token("valid"))).send().getStatus(),
                "a browser with an Access token still gets in");
            for (int i = 0; i < 10; i++)
            {
                String invented = "Invented-Token-" + i + "-xxxx";
                assertEquals(401, client.newRequest(gatehouse.uri("/library/sections")).headers(h -> h.put("X-Plex-Token", invented)).send().getStatus());
            }
            assertTrue(plex.checks.get() <= 2 + 5, "invented tokens are rate limited: " + plex.checks.get() + " checks");
            assertEquals(401, client.newRequest(gatehouse.uri("/library/sections")).headers(h -> h.put("X-Plex-Token", "x")).send().getStatus(), "implausible tokens are not even checked");
        }
    }

    @Test
    void aRememberedNetworkIsAdmittedAndSurvivesARestart() throws Exception
    {
        Minted minted = Minted.get();
        Files.writeString(base.resolve("rules.txt"), "remembered\n");
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain())
        {
            GatehouseHarness.Builder builder = GatehouseHarness.builder().base(base).upstream(upstream.uri()).plugin(new GatePlugin()).plugin(TestClientPlugin.create())
                .property("gatehouse.gate.cloudflare-team", Minted.TEAM)
                .property("gatehouse.gate.jwks-url", keys.certsUri().toString())
                .property("gatehouse.gate.audiences", Minted.AUDIENCE)
                .property("gatehouse.gate.rules-file", "rules.txt")
                .property("gatehouse.gate.remember-network-for", "7d");
            try (GatehouseHarness gatehouse = builder.start())
            {
                int port = gatehouse.httpsPort();
                assertEquals(401, Raw.request(port, true, "GET", "/library", "X-Test-Client: 203.0.113.7"), "not yet remembered");
                assertEquals(200, Raw.request(port, true, "GET", "/web/index.html", "X-Test-Client: 203.0.113.7", IdentityHeaders.ASSERTION + ": " + minted.token("valid")), "browser login");
                assertEquals(200, Raw.request(port, true, "GET", "/library", "X-Test-Client: 203.0.113.7"), "the TV on the same network");
                assertEquals(401, Raw.request(port, true, "GET", "/library", "X-Test-Client: 203.0.113.8"), "another address");
                assertEquals(200, Raw.request(port, true, "GET", "/", "X-Test-Client: 2001:db8:1:2::5", IdentityHeaders.ASSERTION + ": " + minted.token("valid")));
                assertEquals(200, Raw.request(port, true, "GET", "/library", "X-Test-Client: 2001:db8:1:2:aaaa::99"), "the same IPv6 /64");
                assertEquals(401, Raw.request(port, true, "GET", "/library", "X-Test-Client: 2001:db8:1:3::5"), "another /64");
                assertEquals(200, Raw.request(port, true, "GET", "/", "X-Test-Client: 192.168.1.5", IdentityHeaders.ASSERTION + ": " + minted.token("valid")));
                assertEquals(401, Raw.request(port, true, "GET", "/library", "X-Test-Client: 192.168.1.5"), "private addresses are never remembered");
                assertEquals(401, Raw.request(port, true, "GET", "/library"), "nor loopback (cloudflared's address)");
                assertEquals(200, Raw.request(port, true, "GET", "/", "X-Test-Client: 198.51.100.9", IdentityHeaders.ASSERTION + ": " + minted.token("valid-service-token")));
                assertEquals(401, Raw.request(port, true, "GET", "/library", "X-Test-Client: 198.51.100.9"), "a service token is not a browser login");
            }
            Path file = base.resolve(GatePlugin.DEFAULT_REMEMBER_FILE);
            String saved = Files.readString(file);
            assertTrue(saved.contains("203.0.113.7/32 "), saved);
            assertTrue(saved.contains("2001:db8:1:2:0:0:0:0/64 ") || saved.contains("2001:db8:1:2::/64 "), saved);
            try (var files = Files.list(file.getParent()))
            {
                assertEquals(1, files.count(), "no temporary files left behind");
            }
            try (GatehouseHarness restarted = builder.start())
            {
                assertEquals(200, Raw.request(restarted.httpsPort(), true, "GET", "/library", "X-Test-Client: 203.0.113.7"), "remembered across the restart");
                assertEquals(401, Raw.request(restarted.httpsPort(), true, "GET", "/library", "X-Test-Client: 203.0.113.8"));
            }
        }
    }
}
