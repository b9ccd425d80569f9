package dev.gatehouse.dist;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plugin kit from a user's side: a plugin jar dropped into a base of their own, and a plugin
 * scaffolded with scripts/new-plugin that builds and passes its own test.
 */
class PluginKitIT
{
    private static final Path ROOT = Path.of(System.getProperty("gatehouse.root", "../..")).toAbsolutePath().normalize();

    @Test
    void aThirdPartyPluginJarDroppedIntoAFreshBaseActsOnProxiedRequests() throws Exception
    {
        Path jar;
        try (var files = Files.list(ROOT.resolve("plugins/path-blocklist/target")))
        {
            jar = files.filter(file -> file.getFileName().toString().matches("gatehouse-plugin-path-blocklist-.*\\.jar")).findFirst().orElseThrow();
        }
        try (StandInUpstream upstream = StandInUpstream.plain();
             Distribution distribution = Distribution.emptyBase())
        {
            for (String directory : List.of("etc", "lib/gatehouse"))
                DistributionIT.copyTree(Distribution.BUILT_BASE.resolve(directory), distribution.base().resolve(directory));
            Files.createDirectories(distribution.base().resolve("modules"));
            for (String module : List.of("gatehouse.mod", "gatehouse-tls.mod"))
                Files.copy(Distribution.BUILT_BASE.resolve("modules").resolve(module), distribution.base().resolve("modules").resolve(module));
            // The user's own layout: plugins/<id>/ in the base, and the module file pointing at it.
            DistributionIT.deleteTree(distribution.base().resolve("lib/gatehouse/plugins"));
            Path pluginDirectory = Files.createDirectories(distribution.base().resolve("plugins/path-blocklist"));
            Files.copy(jar, pluginDirectory.resolve(jar.getFileName()));
            String module = Files.readString(ROOT.resolve("plugins/path-blocklist/src/main/config/modules/gatehouse-path-blocklist.mod"))
                .replace("gatehouse-plugin.path-blocklist=lib/gatehouse/plugins/path-blocklist", "gatehouse-plugin.path-blocklist=plugins/path-blocklist");
            Files.writeString(distribution.base().resolve("modules/gatehouse-path-blocklist.mod"), module);

            Distribution.Result added = distribution.startJar("--approve-all-licenses", "--add-modules=gatehouse,gatehouse-path-blocklist");
            assertEquals(0, added.exitCode(), added.output());
            Files.writeString(distribution.base().resolve("start.d/gatehouse-path-blocklist.ini"),
                "\ngatehouse.path-blocklist.paths=/admin\n", java.nio.file.StandardOpenOption.APPEND);

            int port = Distribution.freePort();
            Distribution.Running gatehouse = distribution.start(List.of(), "jetty.ssl.port=" + port, "gatehouse.upstream=" + upstream.uri());
            assertTrue(gatehouse.output().contains("user: plugin 'path-blocklist' (dev.gatehouse.plugin.pathblocklist.PathBlocklistHandler)"), gatehouse.output());
            HttpClient client = DistributionIT.client(false);
            try
            {
                assertEquals(404, client.GET("https://localhost:" + port + "/admin/settings").getStatus());
                assertEquals(0, upstream.requests().size());
                assertEquals(200, client.GET("https://localhost:" + port + "/web/index.html").getStatus());
                assertEquals(1, upstream.requests().size());
            }
            finally
            {
                client.stop();
            }
        }
    }

    @Test
    void aScaffoldedPluginBuildsAndPassesItsOwnTest() throws Exception
    {
        Path copy = Files.createTempDirectory("gatehouse-scaffold");
        try
        {
            // A clean copy of the repository's sources, as a user's clone would be.
            Distribution.Result listed = Distribution.run(ROOT, List.of("git", "ls-files", "-z"), Duration.ofSeconds(30));
            assertEquals(0, listed.exitCode(), listed.output());
            for (String file : listed.output().split("\0"))
            {
                if (file.isBlank())
                    continue;
                Path target = copy.resolve(file);
                Files.createDirectories(target.getParent());
                Files.copy(ROOT.resolve(file), target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
            Distribution.Result scaffold = Distribution.run(copy, List.of("bash", "scripts/new-plugin", "hello-world"), Duration.ofSeconds(30));
            assertEquals(0, scaffold.exitCode(), scaffold.output());
            assertTrue(Files.exists(copy.resolve("plugins/hello-world/src/main/java/dev/gatehouse/plugin/helloworld/HelloWorldPlugin.java")));
            assertTrue(Files.readString(copy.resolve("pom.xml")).contains("<module>plugins/hello-world</module>"));
            assertTrue(Files.readString(copy.resolve("src/dist/pom.xml")).contains("<artifactId>gatehouse-plugin-hello-world</artifactId>"));

            List<String> build = new ArrayList<>(List.of("mvn", "-o", "-B", "-q", "-pl", "plugins/hello-world", "-am", "verify",
                "-Dtest=HelloWorld*", "-Dsurefire.failIfNoSpecifiedTests=false"));
            Distribution.Result built = Distribution.run(copy, build, Duration.ofMinutes(8));
            assertEquals(0, built.exitCode(), built.output());
            Path report = copy.resolve("plugins/hello-world/target/surefire-reports/TEST-dev.gatehouse.plugin.helloworld.HelloWorldPluginTest.xml");
            String xml = Files.readString(report);
            assertTrue(xml.contains("tests=\"3\"") && xml.contains("failures=\"0\"") && xml.contains("errors=\"0\""), xml.substring(0, Math.min(400, xml.length())));
        }
        finally
        {
            DistributionIT.deleteTree(copy);
        }
    }
}
