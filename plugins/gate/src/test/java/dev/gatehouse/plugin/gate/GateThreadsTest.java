package dev.gatehouse.plugin.gate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.gatehouse.spi.Slot;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestPlugin;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gate is a non-blocking handler (Jetty may run it on the thread that read the request, and
 * does for HTTP/1.1 clients): a token whose signing keys may have to be fetched first is verified
 * on a pool thread, once; the verified-token cache then answers on the reading thread.
 */
class GateThreadsTest
{
    private static final String HANDED_OFF = "pool thread";
    private static final String INLINE = "reading thread";

    @TempDir
    Path base;

    @Test
    void aTokenCheckedWithFetchedKeysIsVerifiedOnAPoolThreadOncePerToken() throws Exception
    {
        Minted minted = Minted.get();
        String valid = minted.token("valid");
        List<String> where = new CopyOnWriteArrayList<>();
        try (KeyServer keys = new KeyServer(minted.jwks);
             StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, where)
                 .property("gatehouse.gate.jwks-url", keys.certsUri().toString())
                 .start())
        {
            HttpClient client = gatehouse.http1();
            for (int i = 0; i < 3; i++)
                assertEquals(200, client.newRequest(gatehouse.uri("/a")).headers(h -> h.put(IdentityHeaders.ASSERTION, valid)).send().getStatus());
            assertEquals(200, client.newRequest(gatehouse.uri("/a")).headers(h -> h.put(IdentityHeaders.ASSERTION, minted.token("valid-es256"))).send().getStatus());
        }
        assertEquals(List.of(HANDED_OFF, INLINE, INLINE, HANDED_OFF), where, "where each admitted request went on from the gate");
    }

    @Test
    void keysFromALocalFileNeverWaitSoEveryTokenIsVerifiedInline() throws Exception
    {
        Minted minted = Minted.get();
        Files.writeString(base.resolve("keys.json"), minted.jwks);
        List<String> where = new CopyOnWriteArrayList<>();
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = gate(upstream, where)
                 .property("gatehouse.gate.jwks-file", "keys.json")
                 .start())
        {
            HttpClient client = gatehouse.http1();
            assertEquals(200, client.newRequest(gatehouse.uri("/a")).headers(h -> h.put(IdentityHeaders.ASSERTION, minted.token("valid"))).send().getStatus());
            assertEquals(200, client.newRequest(gatehouse.uri("/a")).headers(h -> h.put(IdentityHeaders.ASSERTION, minted.token("valid-es256"))).send().getStatus());
        }
        assertEquals(List.of(INLINE, INLINE), where, "where each admitted request went on from the gate");
    }

    private GatehouseHarness.Builder gate(StandInUpstream upstream, List<String> where)
    {
        return GatehouseHarness.builder()
            .base(base)
            .upstream(upstream.uri())
            .plugin(new GatePlugin())
            .plugin(TestPlugin.handler("where", Slot.USER, recorder(where)))
            .property("gatehouse.gate.cloudflare-team", Minted.TEAM)
            .property("gatehouse.gate.audiences", Minted.AUDIENCE);
    }

    /**
     * A handler after the gate noting whether the gate let the request through from a job it
     * handed to the pool (its continuation after a verification that may wait).
     */
    private static Handler.Wrapper recorder(List<String> where)
    {
        return new Handler.Wrapper()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception
            {
                boolean handedOff = StackWalker.getInstance().walk(frames -> frames.anyMatch(frame ->
                    frame.getClassName().equals(GateHandler.class.getName()) && frame.getMethodName().startsWith("lambda$allow")));
                where.add(handedOff ? HANDED_OFF : INLINE);
                return super.handle(request, response, callback);
            }
        };
    }
}
