package dev.gatehouse.plugin.forwarded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.gatehouse.core.Gatehouse;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.core.config.InvalidConfigurationException;
import dev.gatehouse.core.plugin.PluginLoader.LoadedPlugin;
import org.eclipse.jetty.server.ForwardedRequestCustomizer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jetty's {@code forwarded} module adds a ForwardedRequestCustomizer to the shared
 * HttpConfiguration; Gatehouse must refuse to start with it. The harness builds its own
 * configuration, so this assembles the same server shape by hand (a connector whose
 * configuration holds the customizer, as jetty-forwarded.xml leaves it) and calls
 * {@link Gatehouse#install} as the distribution does. Nothing is started.
 */
class JettyForwardedModuleTest
{
    @TempDir
    static Path temporary;

    @Test
    void startUpIsRefusedWithJettysForwardedModule() throws Exception
    {
        InvalidConfigurationException failure = assertThrows(InvalidConfigurationException.class, () -> install(true));
        String problems = String.join("\n", failure.problems());
        assertTrue(problems.contains("Jetty's 'forwarded' module is enabled"), problems);
        assertTrue(problems.contains("gatehouse-forwarded"), problems);
    }

    @Test
    void withoutItTheSameAssemblySucceeds() throws Exception
    {
        Server server = install(false);
        assertFalse(server.isStarted());
    }

    private static Server install(boolean withJettyForwarded) throws Exception
    {
        Path base = Files.createTempDirectory(temporary, "gatehouse-base");
        Server server = new Server();
        HttpConfiguration httpConfig = new HttpConfiguration();
        if (withJettyForwarded)
            httpConfig.addCustomizer(new ForwardedRequestCustomizer());
        ServerConnector http = new ServerConnector(server, new HttpConnectionFactory(httpConfig));
        http.setHost("127.0.0.1");
        server.addConnector(http);
        Map<String, Object> ids = new HashMap<>();
        ids.put("Server", server);
        ids.put("httpConfig", httpConfig);
        Map<String, String> properties = new HashMap<>();
        properties.put("jetty.base", base.toString());
        properties.put("gatehouse.upstream", "http://127.0.0.1:9");
        properties.put("gatehouse.forwarded.internal-proxies", "loopback");
        Gatehouse.install(server, properties, ids, base, List.of(new LoadedPlugin(new ForwardedPlugin(), "test")), new ConfigurationProblems());
        return server;
    }
}
