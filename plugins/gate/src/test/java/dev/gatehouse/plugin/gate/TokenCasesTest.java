package dev.gatehouse.plugin.gate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * research/gate.md section 5 and 6.1: every token that mint.mjs made (jose, not nimbus), sent
 * once in the Cf-Access-Jwt-Assertion header and once as the CF_Authorization cookie, through a
 * real Gatehouse whose keys come from a loopback stand-in for the team's certs URL.
 */
class TokenCasesTest
{
    /** Accepted; everything not listed here or in {@link #FORBIDDEN} must be 401. */
    static final Set<String> ACCEPTED = Set.of("valid", "valid-service-token", "valid-expired-within-skew", "valid-aud-string",
        "valid-aud-one-of-many", "valid-typ-absent", "valid-es256", "identity-bob-family", "identity-carol-admins", "key-a-fresh-1");
    /** Authentic, but for another Access application. */
    static final Set<String> FORBIDDEN = Set.of("wrong-aud");

    static KeyServer keys;
    static StandInUpstream upstream;
    static GatehouseHarness gatehouse;
    static HttpClient client;

    @BeforeAll
    static void start() throws Exception
    {
        Minted minted = Minted.get();
        keys = new KeyServer(minted.jwks);
        upstream = StandInUpstream.plain();
        gatehouse = GatehouseHarness.builder()
            .upstream(upstream.uri())
            .plugin(new GatePlugin())
            .property("gatehouse.gate.cloudflare-team", Minted.TEAM)
            .property("gatehouse.gate.jwks-url", keys.certsUri().toString())
            .property("gatehouse.gate.audiences", Minted.AUDIENCE + ",second-app-tag")
            .property("gatehouse.gate.max-token-lifetime", "24h")
            .property("gatehouse.gate.max-token-size", "4KiB")
            .start();
        client = gatehouse.http1();
    }

    @AfterAll
    static void stop()
    {
        if (gatehouse != null)
            gatehouse.close();
        if (upstream != null)
            upstream.close();
        if (keys != null)
            keys.close();
    }

    static Stream<Arguments> cases() throws Exception
    {
        List<Arguments> cases = new ArrayList<>();
        for (String name : Minted.get().tokens.keySet())
        {
            cases.add(Arguments.of(name, "header"));
            cases.add(Arguments.of(name, "cookie"));
        }
        return cases.stream();
    }

    static int expected(String name)
    {
        return ACCEPTED.contains(name) ? 200 : FORBIDDEN.contains(name) ? 403 : 401;
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("cases")
    void eachCase(String name, String carrier) throws Exception
    {
        String token = Minted.get().token(name);
        var request = client.newRequest(gatehouse.uri("/library/sections"));
        if (carrier.equals("header"))
            request.headers(headers -> headers.put(IdentityHeaders.ASSERTION, token));
        else
            request.headers(headers -> headers.put("Cookie", "theme=dark; " + IdentityHeaders.COOKIE + "=" + token));
        int before = upstream.requests().size();
        ContentResponse response = request.send();
        assertEquals(expected(name), response.getStatus(), name + " as " + carrier);
        if (response.getStatus() != 200)
        {
            assertEquals(before, upstream.requests().size(), "a denied request never reaches the upstream");
            String body = response.getContentAsString();
            assertTrue(body.isEmpty() || body.equals(response.getStatus() + " " + response.getReason() + "\n"), "a bare body: " + body);
            assertTrue(!body.contains("eyJ"), "no token in the body");
        }
    }

    @Test
    void enoughCasesAndEveryDecisionCounted() throws Exception
    {
        Map<String, String> tokens = Minted.get().tokens;
        long refused = tokens.keySet().stream().filter(name -> expected(name) != 200).count();
        assertTrue(refused >= 25, "at least 25 attack cases, have " + refused);
        GateHandler handler = gatehouse.server().getDescendant(GateHandler.class);
        assertTrue(handler.counters().keySet().stream().allMatch(key -> key.startsWith("admit:") || key.matches("\\d{3}:[a-z-]+")), handler.counters().toString());
    }
}
