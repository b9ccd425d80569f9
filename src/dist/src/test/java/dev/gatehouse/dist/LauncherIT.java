package dev.gatehouse.dist;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/gatehouse}, the launcher that runs start.jar's command line from a cache (and with a
 * class data sharing archive): it must never run a command line that start.d no longer gives.
 */
class LauncherIT
{
    @Test
    void aChangedStartDirectoryIsNeverRunFromAStaleCommandLine() throws Exception
    {
        HttpClient client = DistributionIT.client(false);
        try (StandInUpstream upstream = StandInUpstream.plain();
             Distribution distribution = Distribution.fromTarball())
        {
            Path base = distribution.base();
            Path cache = base.resolve("cache/start");
            int firstPort = Distribution.freePort();
            listenAndProxy(base, firstPort, upstream);

            // 1. No cache: start.jar gives the command line, which runs and dumps its classes at exit.
            Distribution.Running first = distribution.launch();
            assertServes(client, firstPort);
            List<String> firstCommand = first.commandLine();
            assertTrue(firstCommand.contains("org.eclipse.jetty.xml.XmlConfiguration"), firstCommand.toString());
            assertFalse(firstCommand.stream().anyMatch(argument -> argument.endsWith("start.jar")), firstCommand.toString());
            assertTrue(firstCommand.contains("-XX:ArchiveClassesAtExit=" + cache.resolve("classes.jsa.new")), firstCommand.toString());
            // Properties (passwords among them) are in a file only the owner reads, not on the command line.
            assertFalse(firstCommand.stream().anyMatch(argument -> argument.startsWith("jetty.sslContext.keyStorePassword")), firstCommand.toString());
            List<Path> properties;
            try (var files = Files.list(cache))
            {
                properties = files.filter(file -> file.getFileName().toString().matches("start-[0-9a-f]{64}\\.properties")).toList();
            }
            assertEquals(1, properties.size(), properties.toString());
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(properties.get(0)));
            first.stop(Duration.ofSeconds(60));
            assertTrue(Files.size(cache.resolve("classes.jsa.new")) > 0, "no class archive written at exit");

            // 2. Nothing changed: the cached command line with the (checked) archive.
            Distribution.Running second = distribution.launch();
            assertServes(client, firstPort);
            assertTrue(second.commandLine().contains("-XX:SharedArchiveFile=" + cache.resolve("classes.jsa")), second.commandLine().toString());
            second.stop(Duration.ofSeconds(60));

            // 3. start.d changed: a new command line (the new port), the old archive thrown away.
            int secondPort = Distribution.freePort();
            listenAndProxy(base, secondPort, upstream);
            Distribution.Running third = distribution.launch();
            assertTrue(third.output().contains("listening  https://localhost:" + secondPort), third.output());
            assertServes(client, secondPort);
            assertTrue(third.commandLine().contains("-XX:ArchiveClassesAtExit=" + cache.resolve("classes.jsa.new")), third.commandLine().toString());
            assertFalse(Files.exists(cache.resolve("classes.jsa")), "the archive of the old command line was kept");
            third.stop(Duration.ofSeconds(60));

            // 4. A new argument is a new command line too.
            int thirdPort = Distribution.freePort();
            Distribution.Running fourth = distribution.launch("jetty.ssl.port=" + thirdPort);
            assertServes(client, thirdPort);
            fourth.stop(Duration.ofSeconds(60));
        }
        finally
        {
            client.stop();
        }
    }

    /**
     * The base's resources/ (Jetty's logging configuration) runs from a jar the launcher packs:
     * Java 25 refuses a class archive whose class path holds a non-empty directory, so on 25 every
     * restart ran without it (2.9-3.6 s instead of 1.6-1.7). A change to the directory is packed
     * again and applies at the next start.
     */
    @Test
    void theLoggingDirectoryRunsFromAPackedJarSoEveryJavaMapsTheArchive() throws Exception
    {
        HttpClient client = DistributionIT.client(false);
        try (StandInUpstream upstream = StandInUpstream.plain();
             Distribution distribution = Distribution.fromTarball())
        {
            Path base = distribution.base();
            Path cache = base.resolve("cache/start");
            int port = Distribution.freePort();
            listenAndProxy(base, port, upstream);
            List<Path> javas = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"))));
            // The machine's second JDK (Temurin 25 here): the Java that refused the directory.
            Path java25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
            if (Files.isExecutable(java25.resolve("bin/java")))
                javas.add(java25);
            for (Path javaHome : javas)
            {
                Distribution.Running first = distribution.launchWithJavaHome(javaHome);
                assertServes(client, port);
                String classPath = classPath(first.commandLine());
                assertTrue(classPath.matches(".*" + Pattern.quote(cache.toString()) + "/resources-[0-9a-f]{64}\\.jar$"), classPath);
                for (String entry : classPath.split(":"))
                    assertFalse(Files.isDirectory(Path.of(entry)), javaHome + ": a directory on the class path: " + entry);
                first.stop(Duration.ofSeconds(60));
                assertTrue(Files.size(cache.resolve("classes.jsa.new")) > 0, javaHome + ": no class archive written at exit");

                Distribution.Running second = distribution.launchWithJavaHome(javaHome);
                assertServes(client, port);
                assertTrue(second.commandLine().contains("-XX:SharedArchiveFile=" + cache.resolve("classes.jsa")), javaHome + ": " + second.commandLine());
                assertTrue(second.output().contains(":INFO :oejs.Server:"), second.output());
                second.stop(Duration.ofSeconds(60));
            }

            // A changed logging configuration is packed again and applies.
            Files.writeString(base.resolve("resources/jetty-logging.properties"), "org.eclipse.jetty.LEVEL=WARN\n", StandardOpenOption.APPEND);
            Distribution.Running quiet = distribution.launch();
            assertServes(client, port);
            assertFalse(quiet.output().contains(":INFO :oejs.Server:"), quiet.output());
            quiet.stop(Duration.ofSeconds(60));
        }
        finally
        {
            client.stop();
        }
    }

    /**
     * The launcher gives the HTTPS listener one selector per CPU (Jetty's default is half the
     * CPUs), unless a number was chosen on the command line or in start.d/.
     */
    @Test
    void theHttpsListenerHasOneSelectorPerCpuUnlessANumberWasChosen() throws Exception
    {
        HttpClient client = DistributionIT.client(false);
        try (StandInUpstream upstream = StandInUpstream.plain();
             Distribution distribution = Distribution.fromTarball())
        {
            Path base = distribution.base();
            int port = Distribution.freePort();
            listenAndProxy(base, port, upstream);
            Process nproc = new ProcessBuilder("nproc").start();
            int cpus = Integer.parseInt(new String(nproc.getInputStream().readAllBytes()).trim());

            assertLaunchesWithSelectors(distribution, client, port, cpus);
            assertLaunchesWithSelectors(distribution, client, port, 3, "jetty.ssl.selectors=3");
            Files.writeString(base.resolve("start.d/zz-selectors.ini"), "# chosen\njetty.ssl.selectors=3\n");
            assertLaunchesWithSelectors(distribution, client, port, 3);
        }
        finally
        {
            client.stop();
        }
    }

    /** Launches with these arguments, checks the listener's selectors in the log and a proxied request, stops. */
    private static void assertLaunchesWithSelectors(Distribution distribution, HttpClient client, int port, int selectors, String... arguments) throws Exception
    {
        Distribution.Running running = distribution.launch(arguments);
        assertTrue(running.output().contains("HTTPS listener selectors: " + selectors + ", on "), running.output());
        assertServes(client, port);
        running.stop(Duration.ofSeconds(60));
    }

    /** The base's listening port and upstream, in a start.d file of the test's own (replaced whole). */
    private static void listenAndProxy(Path base, int port, StandInUpstream upstream) throws Exception
    {
        Files.writeString(base.resolve("start.d/zz-launcher-test.ini"), "jetty.ssl.port=" + port + "\ngatehouse.upstream=" + upstream.uri() + "\n");
    }

    private static String classPath(List<String> commandLine)
    {
        int index = commandLine.indexOf("--class-path");
        assertTrue(index >= 0 && index + 1 < commandLine.size(), commandLine.toString());
        return commandLine.get(index + 1);
    }

    /**
     * Two launches of one base at the same moment with different arguments, both missing the
     * cache: each JVM must start with its own command line and properties. (Before the command
     * file carried its fingerprint and the properties file was per fingerprint, the second dry run
     * replaced the first's properties before the first JVM read them: both JVMs took the second
     * port, and one failed to bind.)
     */
    @Test
    void launchesAtOnceWithDifferentArgumentsEachStartWithTheirOwn() throws Exception
    {
        HttpClient client = DistributionIT.client(false);
        try (StandInUpstream upstream = StandInUpstream.plain();
             Distribution distribution = Distribution.fromTarball())
        {
            // A first start makes the self-signed certificate (two first starts would both write it).
            distribution.launch("jetty.ssl.port=" + Distribution.freePort(), "gatehouse.upstream=" + upstream.uri()).stop(Duration.ofSeconds(60));
            for (int attempt = 0; attempt < 3; attempt++)
            {
                int firstPort = Distribution.freePort();
                int secondPort = Distribution.freePort();
                List<Distribution.Running> both = distribution.launchAtOnce(List.of(
                    List.of("jetty.ssl.port=" + firstPort, "gatehouse.upstream=" + upstream.uri()),
                    List.of("jetty.ssl.port=" + secondPort, "gatehouse.upstream=" + upstream.uri())));
                assertTrue(both.get(0).output().contains("listening  https://localhost:" + firstPort), both.get(0).output());
                assertTrue(both.get(1).output().contains("listening  https://localhost:" + secondPort), both.get(1).output());
                assertServes(client, firstPort);
                assertServes(client, secondPort);
                for (Distribution.Running each : both)
                    each.stop(Duration.ofSeconds(60));
            }
        }
        finally
        {
            client.stop();
        }
    }

    /**
     * A profiler or debugger agent in the JVM options: the JVM refuses to write a class archive with
     * a native agent loaded, so the launcher must start without one rather than not start at all.
     */
    @Test
    void aNativeAgentStartsWithoutTheClassArchive() throws Exception
    {
        HttpClient client = DistributionIT.client(false);
        try (StandInUpstream upstream = StandInUpstream.plain();
             Distribution distribution = Distribution.fromTarball())
        {
            Path cache = distribution.base().resolve("cache/start");
            int port = Distribution.freePort();
            listenAndProxy(distribution.base(), port, upstream);

            Distribution.Running withAgent = distribution.launchWithJavaOptions("-Xmx128m -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0");
            assertServes(client, port);
            List<String> command = withAgent.commandLine();
            assertTrue(command.stream().anyMatch(argument -> argument.startsWith("-agentlib:jdwp=")), command.toString());
            assertFalse(command.stream().anyMatch(argument -> argument.contains("ArchiveClassesAtExit") || argument.contains("SharedArchiveFile")), command.toString());
            withAgent.stop(Duration.ofSeconds(60));
            assertFalse(Files.exists(cache.resolve("classes.jsa.new")), "an archive was written with the agent loaded");

            // Without the agent, the same cached command line goes back to class data sharing.
            Distribution.Running plain = distribution.launch();
            assertServes(client, port);
            assertTrue(plain.commandLine().contains("-XX:ArchiveClassesAtExit=" + cache.resolve("classes.jsa.new")), plain.commandLine().toString());
            // Two malloc arenas (the JDK's direct buffers otherwise leave freed memory resident in
            // up to 8 per CPU), and the thread pool sized for an asynchronous proxy.
            assertTrue(plain.environment().contains("MALLOC_ARENA_MAX=2"), plain.environment().toString());
            int threads = Math.max(32, 8 * Runtime.getRuntime().availableProcessors());
            assertTrue(plain.output().contains("Thread pool: at most " + threads + " threads"), plain.output());
            plain.stop(Duration.ofSeconds(60));
        }
        finally
        {
            client.stop();
        }
    }

    @Test
    void startJarOptionsGoToStartJarUncached() throws Exception
    {
        try (Distribution distribution = Distribution.fromTarball())
        {
            Distribution.Result result = distribution.launchToCompletion("--list-config");
            assertEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("gatehouse"), result.output());
            assertFalse(Files.exists(distribution.base().resolve("cache/start/command")));
        }
    }

    private static void assertServes(HttpClient client, int port) throws Exception
    {
        assertEquals(200, client.newRequest(URI.create("https://localhost:" + port + "/identity")).send().getStatus());
    }
}
