package dev.gatehouse.proxy;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.gatehouse.core.apps.AppRouter;
import dev.gatehouse.spi.Slot;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestAuthority;
import dev.gatehouse.testkit.TestPlugin;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.strategy.AdaptiveExecutionStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Where a client's request is handled, over real TLS on both hops. Jetty asks the server's handlers
 * whether they may block; with Gatehouse's answering no (the app router hands apps that may block
 * to the pool itself), a request the selector reads is handled on the selector's thread, never
 * handed on to a reserved or pool thread, and an app with a handler that may block is handled on a
 * pool thread the app router hands it to. A keep-alive client's next request is read by the
 * selector too ({@link dev.gatehouse.core.NextRequestBySelector}), not by a pool job resuming the
 * connection after the response.
 */
class RequestsOnIoThreadTest
{
    private static final int REQUESTS = 12;
    /** Handled by the selector's thread that read it (Jetty's produce-consume mode). */
    private static final String ON_SELECTOR = "on the selector that read it";
    /** Read and handled by a pool thread Jetty resumed the connection on after the previous response. */
    private static final String RESUMED = "on the pool thread resuming the connection";
    /** The app router handed the request to the pool. */
    private static final String ROUTER_POOL = "handed to the pool by the router";
    /** Read by a selector that handed it (or its own production) on to another thread. */
    private static final String HANDED_ON = "handed on by the selector";

    @RegisterExtension
    static final TestAuthority ca = new TestAuthority("Requests On I/O Thread Test CA");

    @Test
    void aRequestTheSelectorReadsIsHandledOnItsThread() throws Exception
    {
        List<String> where = new CopyOnWriteArrayList<>();
        send(false, TestPlugin.handler("where", Slot.USER, recorder(where, InvocationType.NON_BLOCKING)));
        assertEquals(REQUESTS, where.size(), "requests seen: " + where);
        // The first request comes with the TLS handshake, whose connection Jetty may hand on.
        // Every later one waits for the selector: none is read by a pool job resuming the
        // connection after the previous (proxied, so asynchronous) response.
        List<String> afterTheFirst = where.subList(1, where.size());
        assertEquals(List.of(ON_SELECTOR), distinct(afterTheFirst), "per request: " + where);
    }

    @Test
    void anAppWithAHandlerThatMayBlockIsHandledOnAPoolThread() throws Exception
    {
        List<String> where = new CopyOnWriteArrayList<>();
        send(false, TestPlugin.handler("where", Slot.USER, recorder(where, InvocationType.BLOCKING)));
        assertEquals(REQUESTS, where.size(), "requests seen: " + where);
        assertEquals(List.of(ROUTER_POOL), distinct(where), "per request: " + where);
    }

    @Test
    void anHttp2ClientsRequestsAreAnsweredToo() throws Exception
    {
        List<String> where = new CopyOnWriteArrayList<>();
        send(true, TestPlugin.handler("where", Slot.USER, recorder(where, InvocationType.NON_BLOCKING)));
        assertEquals(REQUESTS, where.size());
    }

    /**
     * Sends {@link #REQUESTS} sequential requests on one connection through a Gatehouse with this
     * plugin, to a TLS upstream, each answered in full.
     */
    private static void send(boolean http2, TestPlugin plugin) throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), false);
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .property("gatehouse.upstream.trust-store", ca.pem().toString())
                 .plugin(plugin)
                 .upstream(upstream.uri())
                 .start())
        {
            assertEquals(InvocationType.NON_BLOCKING, gatehouse.server().getInvocationType(), "the server's handlers, as Jetty sees them");
            HttpClient client = http2 ? gatehouse.http2() : gatehouse.http1();
            for (int i = 0; i < REQUESTS; i++)
            {
                ContentResponse response = client.newRequest(gatehouse.uri("/item/" + i)).timeout(10, TimeUnit.SECONDS).send();
                assertEquals(200, response.getStatus());
            }
        }
    }

    private static List<String> distinct(List<String> where)
    {
        return where.stream().distinct().toList();
    }

    /**
     * A plugin handler of the given type noting, for every request, how it came to run on its
     * thread: the first of these frames from the top of its stack decides.
     */
    private static Handler.Wrapper recorder(List<String> where, InvocationType type)
    {
        return new Handler.Wrapper()
        {
            @Override
            public InvocationType getInvocationType()
            {
                return type;
            }

            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception
            {
                where.add(StackWalker.getInstance().walk(frames -> frames.map(RequestsOnIoThreadTest::how).filter(Objects::nonNull).findFirst().orElse(HANDED_ON)));
                return super.handle(request, response, callback);
            }
        };
    }

    private static String how(StackWalker.StackFrame frame)
    {
        String type = frame.getClassName();
        String method = frame.getMethodName();
        if (type.equals(AppRouter.class.getName()) && method.startsWith("lambda$handOff"))
            return ROUTER_POOL;
        // Produce-consume: the producing thread runs the task; execute-produce-consume: it runs it
        // after handing production to another thread.
        if (type.equals(AdaptiveExecutionStrategy.class.getName()) && method.equals("pcRunTask"))
            return ON_SELECTOR;
        if (type.equals(AdaptiveExecutionStrategy.class.getName()) && method.equals("epcRunTask"))
            return HANDED_ON;
        if (type.equals("org.eclipse.jetty.server.internal.HttpConnection") && method.equals("run"))
            return RESUMED;
        // A task the selector gave the pool (produce-execute-consume), e.g. a TLS connection's read.
        if (type.equals(QueuedThreadPool.class.getName()) && method.equals("runJob"))
            return HANDED_ON;
        return null;
    }
}
