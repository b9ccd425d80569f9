package dev.gatehouse.tls;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.Security;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSession;

import dev.gatehouse.core.tls.RecordBatchingSslConnectionFactory;
import dev.gatehouse.core.tls.SniCheckPerConnection;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.LoopbackResolver;
import dev.gatehouse.testkit.TestCertificates;
import org.conscrypt.Conscrypt;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jetty's SNI and host check runs once per connection and host name, over real TLS on Conscrypt
 * and on the JDK: what it refuses is still refused, every time, with Jetty's 400; Gatehouse puts
 * it in place of Jetty's customizer with the same settings.
 */
class SniCheckPerConnectionTest
{
    @BeforeAll
    static void registerConscrypt()
    {
        if (Security.getProvider("Conscrypt") == null)
            Security.addProvider(Conscrypt.newProvider());
    }

    /** Counts the checks Jetty's own code makes: it asks for the SNI name in each one. */
    private static final class CountingCheck extends SniCheckPerConnection
    {
        final AtomicInteger checks = new AtomicInteger();

        @Override
        protected String retrieveSni(Request request, SSLSession session)
        {
            checks.incrementAndGet();
            return super.retrieveSni(request, session);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Conscrypt", "SunJSSE"})
    void theCheckRunsOncePerConnectionAndHostAndRefusesEveryTime(String provider) throws Exception
    {
        TestCertificates.Authority ca = TestCertificates.newAuthority("SNI Check CA");
        SslContextFactory.Server tls = serverTls(ca, "gatehouse.test", "alias.test");
        tls.setProvider(provider);
        CountingCheck check = new CountingCheck();
        HttpConfiguration configuration = checkedBy(check);
        Server server = new Server();
        HttpConnectionFactory http = new HttpConnectionFactory(configuration);
        ServerConnector connector = new ServerConnector(server, new RecordBatchingSslConnectionFactory(tls, http.getProtocol()), http);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                String answer = Request.getServerName(request) + " " + request.getConnectionMetaData().getId();
                response.write(true, ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)), callback);
                return true;
            }
        });
        HttpClient client = new HttpClient(new HttpClientTransportDynamic(clientConnector(ca)));
        client.setSocketAddressResolver(new LoopbackResolver());
        client.setMaxConnectionsPerDestination(1);
        try
        {
            server.start();
            client.start();
            String uri = "https://gatehouse.test:" + connector.getLocalPort() + "/";

            ContentResponse first = get(client, uri, null);
            assertEquals(200, first.getStatus());
            String connection = first.getContentAsString().split(" ")[1];
            for (int i = 0; i < 4; i++)
                assertEquals("gatehouse.test " + connection, get(client, uri, null).getContentAsString());
            assertEquals(1, check.checks.get(), "five requests with one host on one connection");

            // Another name of the certificate, on the same connection: checked, then remembered.
            assertEquals("alias.test " + connection, get(client, uri, "alias.test").getContentAsString());
            assertEquals("alias.test " + connection, get(client, uri, "alias.test").getContentAsString());
            assertEquals(2, check.checks.get());

            // A name the certificate does not carry: Jetty's 400, and checked again each time.
            for (int i = 0; i < 3; i++)
            {
                ContentResponse refused = get(client, uri, "other.test");
                assertEquals(400, refused.getStatus());
                assertTrue(refused.getContentAsString().contains("Invalid SNI"), refused.getContentAsString());
            }
            assertEquals(5, check.checks.get());

            // The memo holds the last name accepted (alias.test), and no refusal.
            assertEquals("gatehouse.test " + connection, get(client, uri, null).getContentAsString());
            assertEquals(6, check.checks.get());

            // Another connection is checked afresh.
            HttpClient another = new HttpClient(new HttpClientTransportDynamic(clientConnector(ca)));
            another.setSocketAddressResolver(new LoopbackResolver());
            another.start();
            try
            {
                String answer = get(another, uri, null).getContentAsString();
                assertTrue(answer.startsWith("gatehouse.test ") && !answer.endsWith(" " + connection), answer);
                assertEquals(7, check.checks.get());
            }
            finally
            {
                another.stop();
            }
            assertEquals(provider, tls.getSslContext().getProvider().getName());
        }
        finally
        {
            client.stop();
            server.stop();
        }
    }

    @Test
    void http2StreamsOfOneConnectionShareTheCheck() throws Exception
    {
        // HTTP/2 requests reach the TLS connection through HTTP2ServerConnection's end point. The
        // JDK's TLS: this class path has no Conscrypt ALPN processor for the server.
        TestCertificates.Authority ca = TestCertificates.newAuthority("SNI Check H2 CA");
        SslContextFactory.Server tls = serverTls(ca, "gatehouse.test");
        CountingCheck check = new CountingCheck();
        HttpConfiguration configuration = checkedBy(check);
        Server server = new Server();
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(configuration);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory(h2.getProtocol());
        alpn.setDefaultProtocol(h2.getProtocol());
        ServerConnector connector = new ServerConnector(server, new RecordBatchingSslConnectionFactory(tls, alpn.getProtocol()), alpn, h2);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.write(true, ByteBuffer.wrap(request.getConnectionMetaData().getId().getBytes(StandardCharsets.US_ASCII)), callback);
                return true;
            }
        });
        ClientConnector clientConnector = clientConnector(ca);
        HttpClient client = new HttpClient(new HttpClientTransportDynamic(clientConnector, new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(clientConnector))));
        client.setSocketAddressResolver(new LoopbackResolver());
        try
        {
            server.start();
            client.start();
            String uri = "https://gatehouse.test:" + connector.getLocalPort() + "/";
            Set<String> connections = new HashSet<>();
            for (int i = 0; i < 5; i++)
            {
                ContentResponse response = get(client, uri, null);
                assertEquals(200, response.getStatus());
                assertEquals(HttpVersion.HTTP_2, response.getVersion());
                connections.add(response.getContentAsString());
            }
            assertEquals(1, connections.size(), connections.toString());
            assertEquals(1, check.checks.get(), "five HTTP/2 requests with one host on one connection");
        }
        finally
        {
            client.stop();
            server.stop();
        }
    }

    /** The server's TLS with a certificate from {@code ca} for {@code names}, the first its subject. */
    private static SslContextFactory.Server serverTls(TestCertificates.Authority ca, String... names)
    {
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStore(ca.issue(names[0], names));
        tls.setKeyStorePassword(TestCertificates.PASSWORD);
        return tls;
    }

    /** A configuration whose only customizer is {@code check}, with Jetty's host check on. */
    private static HttpConfiguration checkedBy(CountingCheck check)
    {
        check.setSniHostCheck(true);
        HttpConfiguration configuration = new HttpConfiguration();
        configuration.addCustomizer(check);
        return configuration;
    }

    /** A client connector that verifies the server's certificate against {@code ca} and the host name. */
    private static ClientConnector clientConnector(TestCertificates.Authority ca)
    {
        ClientConnector connector = new ClientConnector();
        SslContextFactory.Client tls = new SslContextFactory.Client();
        tls.setTrustStore(ca.trustStore());
        connector.setSslContextFactory(tls);
        return connector;
    }

    private static ContentResponse get(HttpClient client, String uri, String host) throws Exception
    {
        var request = client.newRequest(uri).timeout(10, TimeUnit.SECONDS);
        if (host != null)
            request.headers(headers -> headers.put(HttpHeader.HOST, host));
        return request.send();
    }

    @Test
    void jettysCustomizerIsReplacedWithItsSettings()
    {
        SecureRequestCustomizer jettys = new SecureRequestCustomizer(true, false, 31_536_000, true);
        SniCheckPerConnection copy = SniCheckPerConnection.copyOf(jettys);
        assertTrue(copy.isSniRequired());
        assertFalse(copy.isSniHostCheck());
        assertEquals(31_536_000, copy.getStsMaxAge());
        assertTrue(copy.isStsIncludeSubDomains());

        HttpConfiguration configuration = new HttpConfiguration();
        HttpConfiguration.Customizer before = (request, headers) -> request;
        configuration.addCustomizer(before);
        configuration.addCustomizer(jettys);
        SniCheckPerConnection.replaceIn(configuration);
        assertSame(before, configuration.getCustomizers().get(0));
        assertEquals(SniCheckPerConnection.class, configuration.getCustomizers().get(1).getClass());
        assertEquals(2, configuration.getCustomizers().size());

        try (GatehouseHarness gatehouse = GatehouseHarness.builder().start())
        {
            List<HttpConfiguration.Customizer> customizers = httpsConfiguration(gatehouse).getCustomizers();
            assertEquals(1, customizers.stream().filter(SecureRequestCustomizer.class::isInstance).count(), customizers.toString());
            assertTrue(customizers.stream().anyMatch(SniCheckPerConnection.class::isInstance), customizers.toString());
        }
    }

    private static HttpConfiguration httpsConfiguration(GatehouseHarness gatehouse)
    {
        for (Connector connector : gatehouse.server().getConnectors())
        {
            if ("https".equals(connector.getName()))
                return connector.getConnectionFactory(HttpConnectionFactory.class).getHttpConfiguration();
        }
        throw new AssertionError("no https listener");
    }
}
