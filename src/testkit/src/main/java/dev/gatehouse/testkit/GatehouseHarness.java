package dev.gatehouse.testkit;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.gatehouse.core.Gatehouse;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.plugin.PluginLoader.LoadedPlugin;
import dev.gatehouse.spi.GatehousePlugin;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Gatehouse in-process, shaped like the distribution: an HTTPS listener (HTTP/1.1 and HTTP/2 by
 * ALPN) on 127.0.0.1, the {@code Contexts} collection, and {@link Gatehouse#install} with the
 * given properties and plugins. A plugin author's test:
 *
 * <pre>{@code
 * try (StandInUpstream upstream = StandInUpstream.plain();
 *      GatehouseHarness gatehouse = GatehouseHarness.builder()
 *          .upstream(upstream.uri())
 *          .plugin(new PathBlocklistPlugin())
 *          .property("gatehouse.path-blocklist.paths", "/admin")
 *          .start())
 * {
 *     assertEquals(403, gatehouse.http1().GET(gatehouse.uri("/admin/x")).getStatus());
 * }
 * }</pre>
 */
public final class GatehouseHarness implements AutoCloseable
{
    private final Server server;
    private final Gatehouse gatehouse;
    private final Path base;
    private final boolean deleteBase;
    private final List<HttpClient> clients = new ArrayList<>();

    private GatehouseHarness(Server server, Gatehouse gatehouse, Path base, boolean deleteBase)
    {
        this.server = server;
        this.gatehouse = gatehouse;
        this.base = base;
        this.deleteBase = deleteBase;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * @return the buffers acquired and never released, when built with {@link Builder#trackBuffers()}
     */
    public String bufferLeaks()
    {
        ArrayByteBufferPool.Tracking tracking = trackingPool();
        return tracking.getLeaks().isEmpty() ? "" : tracking.dumpLeaks();
    }

    /**
     * {@link #bufferLeaks()}, leaving out buffers acquired inside {@code knownLeakyClass}: for a
     * leak of Jetty's that is known and tracked there (the caller names the issue).
     *
     * @return the whole dump when any other buffer leaked, otherwise empty
     */
    public String bufferLeaksExceptIn(Class<?> knownLeakyClass)
    {
        ArrayByteBufferPool.Tracking tracking = trackingPool();
        boolean others = tracking.getLeaks().stream()
            .anyMatch(leak -> Arrays.stream(leak.getAcquireStack().getStackTrace())
                .noneMatch(frame -> frame.getClassName().equals(knownLeakyClass.getName())));
        return others ? tracking.dumpLeaks() : "";
    }

    private ArrayByteBufferPool.Tracking trackingPool()
    {
        if (!(server.getByteBufferPool() instanceof ArrayByteBufferPool.Tracking tracking))
            throw new IllegalStateException("build the harness with trackBuffers()");
        return tracking;
    }

    public Server server()
    {
        return server;
    }

    public Gatehouse gatehouse()
    {
        return gatehouse;
    }

    public Path base()
    {
        return base;
    }

    /**
     * @return the port of the HTTPS listener
     */
    public int httpsPort()
    {
        return port("https");
    }

    /**
     * @return the port of the listener with the given name ({@code https}, {@code gatehouse-redirect}, {@code gatehouse-tunnel})
     */
    public int port(String connectorName)
    {
        for (var connector : server.getConnectors())
        {
            if (connectorName.equals(connector.getName()) && connector instanceof NetworkConnector network)
                return network.getLocalPort();
        }
        throw new IllegalArgumentException("no listener named " + connectorName);
    }

    /**
     * @return {@code https://127.0.0.1:PORT/path}
     */
    public URI uri(String pathQuery)
    {
        return URI.create("https://127.0.0.1:" + httpsPort() + pathQuery);
    }

    /**
     * @return {@code https://HOST:PORT/path}: the harness's clients connect every host name to
     * loopback, so this reaches the app that answers {@code host}, with SNI and Host set to it
     */
    public URI uri(String host, String pathQuery)
    {
        return URI.create("https://" + host + ":" + httpsPort() + pathQuery);
    }

    /**
     * @return the apps directory, {@code webapps/} in the base, created when absent
     */
    public Path appsDirectory()
    {
        Path directory = base.resolve("webapps");
        try
        {
            return Files.createDirectories(directory);
        }
        catch (IOException e)
        {
            throw new IllegalStateException(e);
        }
    }

    /**
     * @return a started client that speaks HTTP/1.1 only and trusts the test certificate
     */
    public HttpClient http1()
    {
        ClientConnector connector = clientConnector();
        return started(new HttpClient(new HttpClientTransportDynamic(connector, HttpClientConnectionFactory.HTTP11)));
    }

    /**
     * @return a started client that speaks HTTP/2 only (by ALPN) and trusts the test certificate
     */
    public HttpClient http2()
    {
        ClientConnector connector = clientConnector();
        return started(new HttpClient(new HttpClientTransportDynamic(connector, new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(connector)))));
    }

    private static ClientConnector clientConnector()
    {
        ClientConnector connector = new ClientConnector();
        // The harness's certificate is self-signed; what is tested here is the proxy, not this hop.
        connector.setSslContextFactory(new SslContextFactory.Client(true));
        return connector;
    }

    private HttpClient started(HttpClient client)
    {
        try
        {
            client.setUserAgentField(null);
            // Every name is this machine: tests address apps by host name (SNI, Host, :authority)
            // and never leave loopback.
            client.setSocketAddressResolver(new LoopbackResolver());
            client.start();
            clients.add(client);
            return client;
        }
        catch (Exception e)
        {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close()
    {
        for (HttpClient client : clients)
        {
            try
            {
                client.stop();
            }
            catch (Exception ignored)
            {
                // closing anyway
            }
        }
        try
        {
            server.stop();
        }
        catch (Exception e)
        {
            throw new IllegalStateException(e);
        }
        finally
        {
            if (deleteBase)
                deleteRecursively(base);
        }
    }

    private static void deleteRecursively(Path path)
    {
        try (var files = Files.walk(path))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
        catch (IOException ignored)
        {
            // a temporary directory
        }
    }

    public static final class Builder
    {
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final List<GatehousePlugin<?>> plugins = new ArrayList<>();
        private final Map<String, String> appFiles = new LinkedHashMap<>();
        private Path base;
        private boolean trackBuffers;

        /**
         * Writes an app file, {@code webapps/<fileName>}, before Gatehouse starts; the apps
         * directory is then scanned every second ({@code gatehouse.apps.scan-interval}).
         */
        public Builder appFile(String fileName, String content)
        {
            appFiles.put(fileName, content);
            return this;
        }

        public Builder upstream(URI upstream)
        {
            return property("gatehouse.upstream", upstream.toString());
        }

        public Builder property(String key, String value)
        {
            properties.put(key, value);
            return this;
        }

        public Builder plugin(GatehousePlugin<?> plugin)
        {
            plugins.add(plugin);
            return this;
        }

        /**
         * Uses Jetty's tracking buffer pool for the server and the upstream clients, so that a test
         * can assert that no buffer leaked ({@link GatehouseHarness#bufferLeaks()}).
         */
        public Builder trackBuffers()
        {
            this.trackBuffers = true;
            return this;
        }

        /**
         * @param base the {@code jetty.base} to use; by default a temporary directory, deleted on close
         */
        public Builder base(Path base)
        {
            this.base = base;
            return this;
        }

        /**
         * Assembles and starts Gatehouse.
         *
         * @throws dev.gatehouse.core.config.InvalidConfigurationException on configuration problems
         */
        public GatehouseHarness start()
        {
            boolean temporary = base == null;
            Path directory;
            try
            {
                directory = temporary ? Files.createTempDirectory("gatehouse-base") : base;
            }
            catch (IOException e)
            {
                throw new IllegalStateException(e);
            }
            try
            {
                if (!appFiles.isEmpty())
                    Files.createDirectories(directory.resolve("webapps"));
                for (Map.Entry<String, String> appFile : appFiles.entrySet())
                    Files.writeString(directory.resolve("webapps").resolve(appFile.getKey()), appFile.getValue());
            }
            catch (IOException e)
            {
                throw new IllegalStateException(e);
            }
            QueuedThreadPool threads = new QueuedThreadPool();
            threads.setName("gatehouse");
            Server server = new Server(threads, null, trackBuffers ? new ArrayByteBufferPool.Tracking() : new ArrayByteBufferPool());
            HttpConfiguration httpConfig = new HttpConfiguration();
            httpConfig.setSendServerVersion(false);
            HttpConfiguration sslHttpConfig = new HttpConfiguration(httpConfig);
            // The harness's certificate names localhost only, and tests address apps by other
            // names: Jetty's check that Host matches the certificate is the distribution's
            // business (its certificates cover the names it serves), not what these tests test.
            SecureRequestCustomizer secure = new SecureRequestCustomizer();
            secure.setSniHostCheck(false);
            sslHttpConfig.addCustomizer(secure);
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            HttpConnectionFactory h1 = new HttpConnectionFactory(sslHttpConfig);
            HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(sslHttpConfig);
            ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
            alpn.setDefaultProtocol(h1.getProtocol());
            ServerConnector https = new ServerConnector(server, new SslConnectionFactory(ssl, alpn.getProtocol()), alpn, h2, h1);
            https.setName("https");
            https.setHost("127.0.0.1");
            server.addConnector(https);
            ContextHandlerCollection contexts = new ContextHandlerCollection();
            server.setHandler(contexts);

            Map<String, Object> ids = new HashMap<>();
            ids.put("Server", server);
            ids.put("httpConfig", httpConfig);
            ids.put("sslHttpConfig", sslHttpConfig);
            ids.put("sslContextFactory", ssl);
            ids.put("Contexts", contexts);
            Map<String, String> all = new HashMap<>(properties);
            all.put("jetty.base", directory.toString());
            all.putIfAbsent("gatehouse.redirect.host", "127.0.0.1");
            // The JDK's TLS, the implementation every platform has (and the fallback where
            // Conscrypt's native library does not load); the distribution's tests start the
            // default, Conscrypt where it loads. This class path has no Conscrypt ALPN processor.
            all.putIfAbsent("gatehouse.tls.provider", "jdk");
            List<LoadedPlugin> loaded = plugins.stream().map(plugin -> new LoadedPlugin(plugin, "test")).toList();
            try
            {
                Gatehouse gatehouse = Gatehouse.install(server, all, ids, directory, loaded, new ConfigurationProblems());
                server.start();
                return new GatehouseHarness(server, gatehouse, directory, temporary);
            }
            catch (RuntimeException e)
            {
                stopQuietly(server);
                if (temporary)
                    deleteRecursively(directory);
                throw e;
            }
            catch (Exception e)
            {
                stopQuietly(server);
                if (temporary)
                    deleteRecursively(directory);
                throw new IllegalStateException(e);
            }
        }

        private static void stopQuietly(Server server)
        {
            try
            {
                server.stop();
            }
            catch (Exception ignored)
            {
                // failing anyway
            }
        }
    }
}
