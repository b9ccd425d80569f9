package dev.gatehouse.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import dev.gatehouse.core.NextRequestBySelector;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestAuthority;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NextRequestBySelector} over real TLS on both hops: what it leaves to Jetty's own
 * resumption still works. Requests pipelined behind a proxied response (bytes already read when
 * the response completes) are each answered, in order; a connection idle after a request with a
 * body holds no buffer; clients that go away right after a response, or in the middle of one,
 * leave no buffer behind. That the next request of a
 * keep-alive client is read by the selector is {@link RequestsOnIoThreadTest}'s.
 */
class NextRequestBySelectorTest
{
    private static final int PIPELINED = 5;

    @RegisterExtension
    static final TestAuthority ca = new TestAuthority("Next Request By Selector Test CA");

    @Test
    void theHttpsListenerUsesIt() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), false);
             GatehouseHarness gatehouse = harness(upstream))
        {
            Connector https = Arrays.stream(gatehouse.server().getConnectors())
                .filter(connector -> connector.getConnectionFactory(SslConnectionFactory.class) != null)
                .findFirst().orElseThrow();
            assertInstanceOf(NextRequestBySelector.class, https.getConnectionFactory(HttpConnectionFactory.class));
        }
    }

    @Test
    void pipelinedRequestsAreEachAnsweredInOrder() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), false);
             GatehouseHarness gatehouse = harness(upstream);
             SSLSocket socket = connect(gatehouse))
        {
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < PIPELINED; i++)
                requests.append("GET /pipelined/").append(i).append(" HTTP/1.1\r\nHost: localhost\r\n\r\n");
            // One write: the requests after the first are read with it, and wait in Jetty's buffer
            // while the first is proxied.
            OutputStream out = socket.getOutputStream();
            out.write(requests.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();

            InputStream in = socket.getInputStream();
            List<String> answered = new ArrayList<>();
            for (int i = 0; i < PIPELINED; i++)
            {
                String body = readResponse(in);
                answered.add(body.lines().findFirst().orElse(""));
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < PIPELINED; i++)
                expected.add("GET /pipelined/" + i + " HTTP/1.1");
            assertEquals(expected, answered, "the upstream's echo of each request line, in the order answered");

            // And the connection carries on with a request sent on its own.
            out.write("GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("GET /after HTTP/1.1", readResponse(in).lines().findFirst().orElse(""));
        }
    }

    @Test
    void anIdleConnectionHoldsNoBufferAfterARequestWithABody() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), false);
             GatehouseHarness gatehouse = harness(upstream);
             SSLSocket socket = connect(gatehouse))
        {
            byte[] body = new byte[100_000];
            OutputStream out = socket.getOutputStream();
            out.write(("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            assertTrue(readResponse(socket.getInputStream()).startsWith("bytes=100000 "));
            // The connection stays open and waits for its next request.
            assertEquals("", awaitNoLeaks(gatehouse));
        }
    }

    @Test
    void clientsThatLeaveLeaveNoBufferBehind() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.tls(ca.issue("upstream.test", "upstream.test", "127.0.0.1"), false);
             GatehouseHarness gatehouse = harness(upstream))
        {
            // Closed right after a response: the connection is waiting for its next request.
            for (int i = 0; i < 4; i++)
            {
                try (SSLSocket socket = connect(gatehouse))
                {
                    socket.getOutputStream().write("GET /once HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    readResponse(socket.getInputStream());
                }
            }
            // Closed while the upstream has not answered yet.
            for (int i = 0; i < 4; i++)
            {
                try (SSLSocket socket = connect(gatehouse))
                {
                    socket.getOutputStream().write("GET /stall/300 HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                }
            }
            assertEquals("", awaitNoLeaks(gatehouse));
        }
    }

    /**
     * Waits up to 10 s for what is still being answered and closed to finish.
     *
     * @return the buffers still held then, or empty
     */
    private static String awaitNoLeaks(GatehouseHarness gatehouse) throws InterruptedException
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String leaks = gatehouse.bufferLeaks();
        while (!leaks.isEmpty() && System.nanoTime() < deadline)
        {
            Thread.sleep(100);
            leaks = gatehouse.bufferLeaks();
        }
        return leaks;
    }

    private static GatehouseHarness harness(StandInUpstream upstream) throws Exception
    {
        return GatehouseHarness.builder()
            .property("gatehouse.upstream.trust-store", ca.pem().toString())
            .upstream(upstream.uri())
            .trackBuffers()
            .start();
    }

    private static SSLSocket connect(GatehouseHarness gatehouse) throws Exception
    {
        // The harness's certificate is self-signed; what is tested here is the proxy, not this hop.
        SslContextFactory.Client trustingAll = new SslContextFactory.Client(true);
        trustingAll.start();
        SSLContext context = trustingAll.getSslContext();
        Socket plain = new Socket("127.0.0.1", gatehouse.httpsPort());
        plain.setSoTimeout(10_000);
        SSLSocket socket = (SSLSocket)context.getSocketFactory().createSocket(plain, "localhost", gatehouse.httpsPort(), true);
        socket.startHandshake();
        return socket;
    }

    /**
     * Reads one response with a {@code Content-Length} (what the stand-in upstream sends for its
     * echo) and returns its body; fails on anything else.
     */
    private static String readResponse(InputStream in) throws IOException
    {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n"))
        {
            int b = in.read();
            if (b < 0)
                throw new IOException("connection closed in a response's head: " + head.toString(StandardCharsets.ISO_8859_1));
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1);
        assertTrue(headers.startsWith("HTTP/1.1 200 "), headers);
        int length = -1;
        for (String line : headers.split("\r\n"))
        {
            if (line.regionMatches(true, 0, "Content-Length:", 0, 15))
                length = Integer.parseInt(line.substring(15).trim());
        }
        assertTrue(length >= 0, "no Content-Length in " + headers);
        byte[] body = in.readNBytes(length);
        assertEquals(length, body.length, "body cut short");
        return new String(body, StandardCharsets.ISO_8859_1);
    }
}
