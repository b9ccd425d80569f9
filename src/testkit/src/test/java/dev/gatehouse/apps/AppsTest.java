package dev.gatehouse.apps;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.gatehouse.core.config.InvalidConfigurationException;
import dev.gatehouse.spi.Config;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.Slot;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.LoopbackResolver;
import dev.gatehouse.testkit.PatternContent;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestCertificates;
import com.google.inject.Module;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Apps by host name over TLS: the default app of start.d and app files in webapps/, deployed,
 * redeployed and removed while other apps stream; per-app plugin settings; bad app files.
 */
class AppsTest
{
    @TempDir
    Path temporary;

    @Test
    void hostNamePicksTheAppOverHttp1AndHttp2AndAnUnknownHostGetsA404() throws Exception
    {
        try (StandInUpstream plex = named("plex");
             StandInUpstream jellyfin = named("jellyfin");
             StandInUpstream wildcard = named("wildcard");
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(plex.uri())
                 .property("gatehouse.hosts", "plex.test")
                 .appFile("jellyfin.properties", app("jellyfin.test, JF.example.test", jellyfin))
                 .appFile("everything.properties", app("*.example.test", wildcard))
                 .start())
        {
            for (HttpClient client : List.of(gatehouse.http1(), gatehouse.http2()))
            {
                assertEquals("plex", body(client, gatehouse.uri("plex.test", "/")));
                assertEquals("jellyfin", body(client, gatehouse.uri("jellyfin.test", "/")));
                // Exact names win over a wildcard whatever the order of deployment; names are case-insensitive.
                assertEquals("jellyfin", body(client, gatehouse.uri("jf.example.test", "/")));
                assertEquals("wildcard", body(client, gatehouse.uri("ha.example.test", "/")));
                // A wildcard stands for one label, as in Jetty's virtual hosts.
                ContentResponse deeper = client.GET(gatehouse.uri("a.b.example.test", "/"));
                assertEquals(404, deeper.getStatus());
                ContentResponse unknown = client.GET(gatehouse.uri("other.test", "/"));
                assertEquals(404, unknown.getStatus());
                assertEquals("404 Not Found\nNo app is configured for this host name.\n", unknown.getContentAsString());
                assertEquals(404, client.GET(gatehouse.uri("/")).getStatus(), "an IP address is not a configured host name");
            }
            // The upstream gets its own authority as Host, the public name in X-Forwarded-Host.
            body(gatehouse.http1(), gatehouse.uri("jellyfin.test", "/"));
            assertEquals("127.0.0.1:" + jellyfin.port(), jellyfin.lastRequest().header("Host"));
            assertEquals("jellyfin.test:" + gatehouse.httpsPort(), jellyfin.lastRequest().header("X-Forwarded-Host"));
        }
    }

    /**
     * Each app's upstream client keeps selector threads for itself; on the pool Gatehouse sizes
     * (32 threads on two CPUs) twenty apps' selectors alone would leave no thread, and Jetty would
     * refuse to start them. The pool grows by what each app keeps and shrinks when it goes.
     */
    @Test
    void twentyAppsStartOnTheDefaultThreadPoolWhichGrowsByTheirSelectorsAndShrinksBack() throws Exception
    {
        int apps = 20;
        try (StandInUpstream shared = named("shared");
             StandInUpstream plex = named("plex"))
        {
            GatehouseHarness.Builder builder = GatehouseHarness.builder()
                .upstream(plex.uri())
                .property("gatehouse.hosts", "plex.test");
            for (int i = 0; i < apps; i++)
                builder.appFile("app" + i + ".properties", app("app" + i + ".test", shared));
            try (GatehouseHarness gatehouse = builder.start())
            {
                QueuedThreadPool pool = (QueuedThreadPool)gatehouse.server().getThreadPool();
                int withAllApps = pool.getMaxThreads();
                assertTrue(withAllApps >= 32 + 2 * (apps + 1), "pool of " + withAllApps + " threads for " + (apps + 1) + " apps");
                HttpClient client = gatehouse.http1();
                for (int i = 0; i < apps; i++)
                    assertEquals("shared", body(client, gatehouse.uri("app" + i + ".test", "/")));
                assertEquals("plex", body(client, gatehouse.uri("plex.test", "/")));

                Files.delete(gatehouse.appsDirectory().resolve("app0.properties"));
                for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); pool.getMaxThreads() == withAllApps && System.nanoTime() < deadline; )
                    Thread.sleep(50);
                assertEquals(withAllApps - 2, pool.getMaxThreads(), "a removed app gives its selectors' threads back");
            }
        }
    }

    @Test
    void sniPicksEachAppsCertificateAndHostPicksItsUpstream() throws Exception
    {
        TestCertificates.Authority ca = TestCertificates.newAuthority("Apps SNI CA");
        Path certificates = Files.createDirectory(temporary.resolve("certificates"));
        Path plexPem = combinedPem(ca.issue("plex.test", "plex.test"), certificates.resolve("plex.pem"));
        Path jellyfinPem = combinedPem(ca.issue("jellyfin.test", "jellyfin.test"), certificates.resolve("jellyfin.pem"));
        try (StandInUpstream plex = named("plex");
             StandInUpstream jellyfin = named("jellyfin");
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(plex.uri())
                 .property("gatehouse.hosts", "plex.test")
                 .property("gatehouse.tls.certificates", plexPem + "," + jellyfinPem)
                 .appFile("jellyfin.properties", app("jellyfin.test", jellyfin))
                 .start())
        {
            for (boolean http2 : new boolean[]{false, true})
            {
                // A client that verifies the certificate against the name it asked for: the
                // handshake fails unless SNI chose the certificate of that app.
                HttpClient verifying = verifyingClient(ca, http2);
                try
                {
                    assertEquals("plex", body(verifying, gatehouse.uri("plex.test", "/")));
                    assertEquals("jellyfin", body(verifying, gatehouse.uri("jellyfin.test", "/")));
                }
                finally
                {
                    verifying.stop();
                }
            }
            assertEquals(2, plex.requests().size());
            assertEquals(2, jellyfin.requests().size());
        }
    }

    @Test
    void withoutGatehouseHostsTheDefaultAppAnswersEveryHostNoAppFileClaims() throws Exception
    {
        try (StandInUpstream plex = named("plex");
             StandInUpstream jellyfin = named("jellyfin");
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(plex.uri())
                 .appFile("jellyfin.properties", app("jellyfin.test", jellyfin))
                 .start())
        {
            HttpClient client = gatehouse.http2();
            assertEquals("plex", body(client, gatehouse.uri("/")));
            assertEquals("plex", body(client, gatehouse.uri("anything.test", "/")));
            assertEquals("jellyfin", body(client, gatehouse.uri("jellyfin.test", "/")));
        }
    }

    @Test
    void appFilesAreAddedChangedAndRemovedWhileADownloadOnAnotherAppStreams() throws Exception
    {
        TestCertificates.Authority ca = TestCertificates.newAuthority("Apps Test CA");
        Path caFile = ca.writePem(temporary.resolve("ca.pem"));
        try (StandInUpstream plex = StandInUpstream.plain();
             StandInUpstream jellyfin = named("jellyfin");
             StandInUpstream jellyfinOverTls = StandInUpstream.tls(ca.issue("localhost", "localhost"), false);
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(plex.uri())
                 .property("gatehouse.hosts", "plex.test")
                 .appFile("README.txt", "not an app file")
                 .start())
        {
            jellyfinOverTls.handler(answer("jellyfin over TLS"));
            HttpClient client = gatehouse.http2();
            long size = 256L << 20;
            InputStreamResponseListener download = new InputStreamResponseListener();
            client.newRequest(gatehouse.uri("plex.test", "/bytes/" + size)).send(download);
            Response response = download.get(10, TimeUnit.SECONDS);
            assertEquals(200, response.getStatus());
            try (InputStream stream = download.getInputStream())
            {
                long read = PatternContent.readAndCheck(stream, 0, 8L << 20);
                assertEquals(404, client.GET(gatehouse.uri("jellyfin.test", "/")).getStatus());

                Path appFile = gatehouse.appsDirectory().resolve("jellyfin.properties");
                Files.writeString(appFile, app("jellyfin.test", jellyfin));
                awaitTrue(() -> "jellyfin".equals(bodyOrNull(client, gatehouse.uri("jellyfin.test", "/"))), "the added app answers");
                read += PatternContent.readAndCheck(stream, read, 8L << 20);

                // Changed: another upstream, over TLS, trusted through a per-app trust store.
                Files.writeString(appFile, "gatehouse.hosts=jellyfin.test\n" +
                    "gatehouse.upstream=https://localhost:" + jellyfinOverTls.port() + "\n" +
                    "gatehouse.upstream.trust-store=" + caFile + "\n");
                awaitTrue(() -> "jellyfin over TLS".equals(bodyOrNull(client, gatehouse.uri("jellyfin.test", "/"))), "the changed app answers");
                read += PatternContent.readAndCheck(stream, read, 8L << 20);

                Files.delete(appFile);
                awaitTrue(() -> statusOf(client, gatehouse.uri("jellyfin.test", "/")) == 404, "the removed app no longer answers");

                read += PatternContent.readAndCheck(stream, read, size - read);
                assertEquals(size, read);
                assertEquals(-1, stream.read());
            }
            assertEquals(1, gatehouse.gatehouse().deployer().liveApps().size());
        }
    }

    @Test
    void aChangedAppFinishesItsOwnDownloadOnTheOldVersion() throws Exception
    {
        try (StandInUpstream first = StandInUpstream.plain();
             StandInUpstream second = named("second");
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .property("gatehouse.hosts", "plex.test")
                 .appFile("media.properties", app("media.test", first))
                 .start())
        {
            HttpClient client = gatehouse.http1();
            long size = 64L << 20;
            InputStreamResponseListener download = new InputStreamResponseListener();
            client.newRequest(gatehouse.uri("media.test", "/bytes/" + size)).send(download);
            assertEquals(200, download.get(10, TimeUnit.SECONDS).getStatus());
            try (InputStream stream = download.getInputStream())
            {
                long read = PatternContent.readAndCheck(stream, 0, 4L << 20);
                Files.writeString(gatehouse.appsDirectory().resolve("media.properties"), app("media.test", second));
                awaitTrue(() -> "second".equals(bodyOrNull(client, gatehouse.uri("media.test", "/"))), "new requests reach the new version");
                assertEquals(1, gatehouse.gatehouse().deployer().retiringApps(), "the old version drains");
                read += PatternContent.readAndCheck(stream, read, size - read);
                assertEquals(size, read);
            }
            awaitTrue(() -> gatehouse.gatehouse().deployer().retiringApps() == 0, "the old version stops once its download completed");
        }
    }

    @Test
    void eachAppHasItsOwnPluginSettings() throws Exception
    {
        try (StandInUpstream plex = named("plex");
             StandInUpstream jellyfin = named("jellyfin");
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(plex.uri())
                 .plugin(new StampPlugin())
                 .property("gatehouse.stamp.value", "from start.d")
                 .appFile("jellyfin.properties", app("jellyfin.test", jellyfin) + "gatehouse.stamp.value=from the app file\n")
                 .appFile("other.properties", app("other.test", jellyfin))
                 .start())
        {
            HttpClient client = gatehouse.http1();
            assertEquals("from start.d", client.GET(gatehouse.uri("plex.test", "/")).getHeaders().get("X-Stamp"));
            assertEquals("from the app file", client.GET(gatehouse.uri("jellyfin.test", "/")).getHeaders().get("X-Stamp"));
            assertEquals("from start.d", client.GET(gatehouse.uri("other.test", "/")).getHeaders().get("X-Stamp"), "an app file inherits what it does not set");
        }
    }

    @Test
    void brokenAppFilesAtStartAreAllListedWithTheirProblems() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain())
        {
            InvalidConfigurationException failure = assertThrows(InvalidConfigurationException.class, () -> GatehouseHarness.builder()
                .upstream(upstream.uri())
                .appFile("jellyfin.properties", "gatehouse.hosts=jellyfin.test\ngatehouse.upstream=ftp://127.0.0.1\ngatehouse.upstream.conect-timeout=5s\n")
                .appFile("tunnel.properties", "gatehouse.hosts=https://tunnel.test/\ngatehouse.upstream=" + upstream.uri() + "\ngatehouse.tunnel.port=8080\njetty.ssl.port=1\n")
                .start());
            String base = failure.getMessage();
            assertTrue(base.startsWith("Gatehouse cannot start: 2 configuration problems"), base);
            String jellyfin = problemsOf(base, "jellyfin.properties");
            assertEquals(List.of(
                "gatehouse.upstream: 'ftp://127.0.0.1' is not valid: the upstream must be an http:// or https:// URI",
                "gatehouse.upstream.conect-timeout: unknown property; did you mean gatehouse.upstream.connect-timeout?"), lines(jellyfin));
            String tunnel = problemsOf(base, "tunnel.properties");
            assertEquals(List.of(
                "jetty.ssl.port: not a Gatehouse key; app files hold gatehouse.* keys, e.g. gatehouse.hosts and gatehouse.upstream",
                "gatehouse.hosts: 'https://tunnel.test/' is not valid: 'https://tunnel.test/' is not a host name; use names like plex.example.com or *.example.com, without scheme, port or path",
                "gatehouse.tunnel.port: applies to the whole server (listeners, certificates, app scanning); set it in start.d, not in an app file"), lines(tunnel));
        }
    }

    @Test
    void aBrokenChangeLeavesTheRunningVersionAndIsReadAgainWhenFixed() throws Exception
    {
        try (StandInUpstream plex = named("plex");
             StandInUpstream first = named("first");
             StandInUpstream second = named("second");
             GatehouseHarness gatehouse = GatehouseHarness.builder()
                 .upstream(plex.uri())
                 .property("gatehouse.hosts", "plex.test")
                 .appFile("media.properties", app("media.test", first))
                 .start())
        {
            HttpClient client = gatehouse.http1();
            Path appFile = gatehouse.appsDirectory().resolve("media.properties");
            Files.writeString(appFile, "gatehouse.hosts=media.test\n");
            // A file with the same name but broken; then one that claims another app's host.
            Files.writeString(gatehouse.appsDirectory().resolve("thief.properties"), app("plex.test", second));
            Thread.sleep(3500);
            assertEquals("first", body(client, gatehouse.uri("media.test", "/")), "the running version stays");
            assertEquals("plex", body(client, gatehouse.uri("plex.test", "/")), "no app takes another's host");
            assertEquals(List.of("default", "media"), gatehouse.gatehouse().deployer().liveApps().keySet().stream().sorted().toList());

            Files.writeString(appFile, app("media.test", second));
            awaitTrue(() -> "second".equals(bodyOrNull(client, gatehouse.uri("media.test", "/"))), "the fixed file is deployed");
        }
    }

    @Test
    void twoAppFilesCannotClaimTheSameHost() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain())
        {
            InvalidConfigurationException failure = assertThrows(InvalidConfigurationException.class, () -> GatehouseHarness.builder()
                .upstream(upstream.uri())
                .appFile("a.properties", app("media.test", upstream))
                .appFile("b.properties", app("MEDIA.test", upstream))
                .start());
            assertTrue(failure.getMessage().contains("app 'b' (") && failure.getMessage().contains("b.properties) claims the host 'media.test', which app 'a' ("), failure.getMessage());
        }
    }

    // ---- helpers

    private static String app(String hosts, StandInUpstream upstream)
    {
        return "# a test app\ngatehouse.hosts=" + hosts + "\ngatehouse.upstream=" + upstream.uri() + "\n";
    }

    private static Path combinedPem(KeyStore store, Path file) throws Exception
    {
        var chain = store.getCertificateChain("server");
        var key = (PrivateKey)store.getKey("server", TestCertificates.PASSWORD.toCharArray());
        return TestCertificates.writePem(file, chain[0], chain[1], new JcaPKCS8Generator(key, null));
    }

    private static HttpClient verifyingClient(TestCertificates.Authority ca, boolean http2) throws Exception
    {
        ClientConnector connector = new ClientConnector();
        SslContextFactory.Client tls = new SslContextFactory.Client();
        tls.setTrustStore(ca.trustStore());
        tls.setEndpointIdentificationAlgorithm("HTTPS");
        connector.setSslContextFactory(tls);
        HttpClient client = new HttpClient(http2
            ? new HttpClientTransportDynamic(connector, new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(connector)))
            : new HttpClientTransportDynamic(connector, HttpClientConnectionFactory.HTTP11));
        client.setSocketAddressResolver(new LoopbackResolver());
        client.start();
        return client;
    }

    private static StandInUpstream named(String name)
    {
        StandInUpstream upstream = StandInUpstream.plain();
        upstream.handler(answer(name));
        return upstream;
    }

    private static Handler answer(String text)
    {
        return new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, org.eclipse.jetty.server.Response response, Callback callback)
            {
                Content.Sink.write(response, true, text, callback);
                return true;
            }
        };
    }

    private static String body(HttpClient client, URI uri) throws Exception
    {
        ContentResponse response = client.GET(uri);
        assertEquals(200, response.getStatus(), () -> uri + ": " + response.getContentAsString());
        return response.getContentAsString();
    }

    private static String bodyOrNull(HttpClient client, URI uri)
    {
        try
        {
            ContentResponse response = client.newRequest(uri).timeout(5, TimeUnit.SECONDS).send();
            return response.getStatus() == 200 ? response.getContentAsString() : null;
        }
        catch (Exception e)
        {
            return null;
        }
    }

    private static int statusOf(HttpClient client, URI uri)
    {
        try
        {
            return client.newRequest(uri).timeout(5, TimeUnit.SECONDS).send().getStatus();
        }
        catch (Exception e)
        {
            return -1;
        }
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException
    {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline)
        {
            if (condition.getAsBoolean())
                return;
            Thread.sleep(100);
        }
        throw new AssertionError("not within 20 s: " + what);
    }

    /**
     * @return the problems listed under the entry of the named file
     */
    private static String problemsOf(String message, String fileName)
    {
        for (String entry : message.split("\\R  \\d+\\. "))
        {
            if (entry.startsWith("app file ") && entry.contains(fileName + ":"))
                return entry;
        }
        throw new AssertionError("no entry for " + fileName + " in:\n" + message);
    }

    private static List<String> lines(String entry)
    {
        return entry.lines().skip(1).map(String::trim).map(line -> line.replaceFirst("^- ", "")).toList();
    }

    /**
     * A plugin with one setting, to show that each app binds its own plugin configuration.
     */
    public static final class StampConfig
    {
        private String value = "unset";

        public String getValue()
        {
            return value;
        }

        @Config(value = "value", description = "the X-Stamp response header")
        public void setValue(String value)
        {
            this.value = value;
        }
    }

    static final class StampPlugin implements GatehousePlugin<StampConfig>
    {
        @Override
        public String id()
        {
            return "stamp";
        }

        @Override
        public Slot slot()
        {
            return Slot.USER;
        }

        @Override
        public Class<StampConfig> configClass()
        {
            return StampConfig.class;
        }

        @Override
        public Module module(StampConfig config)
        {
            return binder -> Contributions.handler(binder).toInstance(new Handler.Wrapper()
            {
                @Override
                public boolean handle(Request request, org.eclipse.jetty.server.Response response, Callback callback) throws Exception
                {
                    response.getHeaders().put("X-Stamp", config.getValue());
                    return super.handle(request, response, callback);
                }
            });
        }
    }
}
