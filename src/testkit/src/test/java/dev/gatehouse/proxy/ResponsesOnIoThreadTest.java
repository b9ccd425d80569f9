package dev.gatehouse.proxy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.Slot;
import dev.gatehouse.spi.UpstreamCustomizer;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestAuthority;
import dev.gatehouse.testkit.TestPlugin;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.eclipse.jetty.util.thread.strategy.AdaptiveExecutionStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Where an upstream response is read, over real TLS on both hops: for an HTTP/1.1 client on the
 * thread of the upstream connection's selector (Jetty's produce-consume mode, no hand-off), for an
 * HTTP/2 client on a thread it is handed to, and for anyone when a plugin handler in front of the
 * proxy declares that it may block.
 */
class ResponsesOnIoThreadTest
{
    private static final int REQUESTS = 12;

    @RegisterExtension
    static final TestAuthority ca = new TestAuthority("Responses On I/O Thread Test CA");

    @Test
    void anHttp1ClientsResponsesAreReadOnTheUpstreamSelectorsThread() throws Exception
    {
        List<Boolean> onSelector = whereResponsesAreRead(false);
        assertEquals(List.of(true), distinct(onSelector), "read on the selector's thread, per response: " + onSelector);
    }

    @Test
    void anHttp2ClientsResponsesAreHandedToAnotherThread() throws Exception
    {
        List<Boolean> onSelector = whereResponsesAreRead(true);
        assertEquals(List.of(false), distinct(onSelector), "read on the selector's thread, per response: " + onSelector);
    }

    @Test
    void aHandlerInFrontThatMayBlockKeepsEveryResponseOffTheSelector() throws Exception
    {
        Handler.Wrapper mayBlock = new Handler.Wrapper()
        {
            @Override
            public InvocationType getInvocationType()
            {
                return InvocationType.BLOCKING;
            }
        };
        List<Boolean> onSelector = whereResponsesAreRead(false, TestPlugin.handler("may-block", Slot.ACCESS, mayBlock));
        assertEquals(List.of(false), distinct(onSelector), "read on the selector's thread, per response: " + onSelector);
    }

    /**
     * Sends {@link #REQUESTS} sequential requests on one connection through a Gatehouse with these
     * plugins and the recording one, each answered in full.
     *
     * @return for each upstream response, whether it was read on the selector's thread
     */
    private static List<Boolean> whereResponsesAreRead(boolean http2, TestPlugin... plugins) throws Exception
    {
        List<Boolean> onSelector = new CopyOnWriteArrayList<>();
        GatehouseHarness.Builder builder = GatehouseHarness.builder()
            .property("gatehouse.upstream.trust-store", ca.pem().toString())
            .plugin(recording(onSelector));
        for (TestPlugin plugin : plugins)
            builder.plugin(plugin);
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), false);
             GatehouseHarness gatehouse = builder.upstream(upstream.uri()).start())
        {
            HttpClient client = http2 ? gatehouse.http2() : gatehouse.http1();
            for (int i = 0; i < REQUESTS; i++)
            {
                ContentResponse response = client.newRequest(gatehouse.uri("/item/" + i)).timeout(10, TimeUnit.SECONDS).send();
                assertEquals(200, response.getStatus());
            }
        }
        return onSelector;
    }

    private static List<Boolean> distinct(List<Boolean> onSelector)
    {
        assertEquals(REQUESTS, onSelector.size(), "upstream responses seen: " + onSelector);
        return onSelector.stream().distinct().toList();
    }

    /**
     * A plugin whose upstream customizer notes, for every upstream response, whether its headers
     * arrived inside the selector's produce-consume task (the frame Jetty's execution strategy
     * runs a non-blocking task in; a handed-off task runs on another thread or in
     * execute-produce-consume mode).
     */
    private static TestPlugin recording(List<Boolean> onSelector)
    {
        UpstreamCustomizer customizer = new UpstreamCustomizer()
        {
            @Override
            public void customizeRequest(dev.gatehouse.spi.Upstream upstream, Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
            {
                proxyToServerRequest.onResponseHeaders(response -> onSelector.add(StackWalker.getInstance().walk(frames -> frames.anyMatch(frame ->
                    frame.getClassName().equals(AdaptiveExecutionStrategy.class.getName()) && frame.getMethodName().equals("pcRunTask")))));
            }
        };
        return TestPlugin.of("recording", Slot.USER, binder -> Contributions.upstreamCustomizers(binder).addBinding().toInstance(customizer));
    }
}
