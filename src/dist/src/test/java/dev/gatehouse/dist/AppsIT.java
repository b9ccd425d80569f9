package dev.gatehouse.dist;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import dev.gatehouse.testkit.LoopbackResolver;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestCertificates;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Apps in the assembled distribution: the shipped example app files are disabled, enabling one is
 * renaming it (while running), each answers its host with its own CSP preset, and a broken app
 * file stops start-up with its name.
 */
class AppsIT
{
    @Test
    void theShippedExamplesAreDisabledAndEnablingOneIsRenamingIt() throws Exception
    {
        TestCertificates.Authority ca = TestCertificates.newAuthority("Apps IT CA");
        try (StandInUpstream plex = named("plex");
             StandInUpstream jellyfin = named("jellyfin");
             StandInUpstream homeAssistant = named("home assistant");
             Distribution distribution = Distribution.fromTarball())
        {
            Path webapps = distribution.base().resolve("webapps");
            assertEquals(List.of("home-assistant.properties.disabled", "jellyfin.properties.disabled", "plex.properties.disabled"),
                Files.list(webapps).map(file -> file.getFileName().toString()).sorted().toList());
            TestCertificates.writePkcs12(distribution.base().resolve("etc/apps.p12"), ca.issue("apps.test", "*.apps.test"));
            int port = Distribution.freePort();
            Distribution.Running gatehouse = distribution.start(List.of(),
                "jetty.ssl.port=" + port,
                "jetty.sslContext.keyStorePath=etc/apps.p12", "jetty.sslContext.keyStorePassword=" + TestCertificates.PASSWORD,
                "gatehouse.upstream=" + plex.uri(),
                "gatehouse.hosts=plex.apps.test");
            gatehouse.awaitOutput("app        default: plex.apps.test -> " + plex.uri(), Duration.ofSeconds(10));
            assertTrue(!gatehouse.output().contains("App 'jellyfin'"), gatehouse.output());

            HttpClient client = client(ca);
            try
            {
                assertEquals(404, client.GET(uri("jellyfin.apps.test", port)).getStatus());
                enable(webapps, "jellyfin", "jellyfin.apps.test", jellyfin);
                enable(webapps, "home-assistant", "home.apps.test", homeAssistant);
                enable(webapps, "plex", "media.apps.test", plex);
                gatehouse.awaitOutput("App 'jellyfin' deployed", Duration.ofSeconds(30));
                gatehouse.awaitOutput("App 'home-assistant' deployed", Duration.ofSeconds(30));
                gatehouse.awaitOutput("App 'plex' deployed", Duration.ofSeconds(30));
                assertEquals(plexAnswerPolicy(client, "plex.apps.test", port), plexAnswerPolicy(client, "media.apps.test", port), "the Plex example gets the plex preset");

                ContentResponse plexAnswer = client.GET(uri("plex.apps.test", port));
                ContentResponse jellyfinAnswer = client.GET(uri("jellyfin.apps.test", port));
                ContentResponse homeAnswer = client.GET(uri("home.apps.test", port));
                assertEquals("plex", plexAnswer.getContentAsString());
                assertEquals("jellyfin", jellyfinAnswer.getContentAsString());
                assertEquals("home assistant", homeAnswer.getContentAsString());
                // Each app its own preset: Plex Web needs plex.tv, Jellyfin's documented CSP allows gstatic.
                String plexPolicy = plexAnswer.getHeaders().get("Content-Security-Policy");
                String jellyfinPolicy = jellyfinAnswer.getHeaders().get("Content-Security-Policy");
                String homePolicy = homeAnswer.getHeaders().get("Content-Security-Policy");
                assertTrue(plexPolicy.contains("plex.tv"), plexPolicy);
                assertTrue(jellyfinPolicy.contains("https://www.gstatic.com"), jellyfinPolicy);
                assertTrue(homePolicy.contains("home-assistant.io"), homePolicy);
                assertNotEquals(plexPolicy, jellyfinPolicy);

                ContentResponse unknown = client.GET(uri("other.apps.test", port));
                assertEquals(404, unknown.getStatus());
                assertEquals("404 Not Found\nNo app is configured for this host name.\n", unknown.getContentAsString());

                // A broken change is reported with the file name and leaves the app running.
                Files.writeString(webapps.resolve("jellyfin.properties"), "gatehouse.hosts=jellyfin.apps.test\ngatehouse.upstream=" + jellyfin.uri() + "\ngatehouse.security-headers.preset=jelyfin\n");
                gatehouse.awaitOutput("webapps/jellyfin.properties: 1 problem", Duration.ofSeconds(30));
                assertTrue(gatehouse.output().contains("gatehouse.security-headers.preset: 'jelyfin' is not valid"), gatehouse.output());
                assertTrue(gatehouse.output().contains("Nothing changed: the running version of app 'jellyfin' stays"), gatehouse.output());
                assertEquals("jellyfin", client.GET(uri("jellyfin.apps.test", port)).getContentAsString());
            }
            finally
            {
                client.stop();
            }
        }
    }

    @Test
    void aBrokenAppFileStopsStartUpWithItsName() throws Exception
    {
        try (Distribution distribution = Distribution.fromTarball())
        {
            Files.writeString(distribution.base().resolve("webapps/jellyfin.properties"), "gatehouse.hosts=jellyfin.example.com\ngatehouse.redirect.port=80\n");
            Distribution.Result result = distribution.startExpectingExit("jetty.ssl.port=" + Distribution.freePort());
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("webapps/jellyfin.properties: 2 problems"), result.output());
            assertTrue(result.output().contains("gatehouse.redirect.port: applies to the whole server (listeners, certificates, app scanning); set it in start.d, not in an app file"), result.output());
            assertTrue(result.output().contains("gatehouse.upstream: required in an app file: where this app listens, e.g. http://127.0.0.1:8096"), result.output());
        }
    }

    /**
     * Enables a shipped example the way the file tells users to: set the host and upstream lines,
     * rename it to {@code .properties}.
     */
    private static void enable(Path webapps, String name, String host, StandInUpstream upstream) throws Exception
    {
        Path example = webapps.resolve(name + ".properties.disabled");
        String text = Files.readAllLines(example).stream()
            .map(line -> line.startsWith("gatehouse.hosts=") ? "gatehouse.hosts=" + host
                : line.startsWith("gatehouse.upstream=") ? "gatehouse.upstream=" + upstream.uri() : line)
            .collect(Collectors.joining("\n", "", "\n"));
        Files.writeString(example, text);
        Files.move(example, webapps.resolve(name + ".properties"));
    }

    private static String plexAnswerPolicy(HttpClient client, String host, int port) throws Exception
    {
        ContentResponse response = client.GET(uri(host, port));
        assertEquals("plex", response.getContentAsString());
        return response.getHeaders().get("Content-Security-Policy");
    }

    private static URI uri(String host, int port)
    {
        return URI.create("https://" + host + ":" + port + "/");
    }

    private static HttpClient client(TestCertificates.Authority ca) throws Exception
    {
        ClientConnector connector = new ClientConnector();
        SslContextFactory.Client tls = new SslContextFactory.Client();
        tls.setTrustStore(ca.trustStore());
        connector.setSslContextFactory(tls);
        HttpClient client = new HttpClient(new HttpClientTransportDynamic(connector, new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(connector))));
        // Every *.apps.test name is this machine.
        client.setSocketAddressResolver(new LoopbackResolver());
        client.start();
        return client;
    }

    private static StandInUpstream named(String name)
    {
        StandInUpstream upstream = StandInUpstream.plain();
        upstream.handler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.getHeaders().put("Content-Type", "text/html;charset=utf-8");
                Content.Sink.write(response, true, name, callback);
                return true;
            }
        });
        return upstream;
    }
}
