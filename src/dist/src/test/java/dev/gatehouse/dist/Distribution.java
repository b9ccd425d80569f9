package dev.gatehouse.dist;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The assembled distribution, run as users run it: {@code java -jar $JETTY_HOME/start.jar} in a
 * base, as a separate process whose output is captured.
 */
final class Distribution implements AutoCloseable
{
    static final Path HOME = Path.of(System.getProperty("gatehouse.dist.home", "target/jetty-home-12.1.12")).toAbsolutePath();
    static final Path BUILT_BASE = Path.of(System.getProperty("gatehouse.dist.base", "target/jetty-base")).toAbsolutePath();
    static final Path TARBALL = Path.of(System.getProperty("gatehouse.dist.tarball", "target/gatehouse-base.tar.gz")).toAbsolutePath();

    private final Path base;
    private final List<Process> processes = new ArrayList<>();

    private Distribution(Path base)
    {
        this.base = base;
    }

    /**
     * @return a fresh base, unpacked from the tarball users get
     */
    static Distribution fromTarball() throws Exception
    {
        Path directory = Files.createTempDirectory("gatehouse-dist");
        run(directory, List.of("tar", "xzf", TARBALL.toString(), "-C", directory.toString()), Duration.ofSeconds(60));
        return new Distribution(directory.resolve("gatehouse-base"));
    }

    /**
     * @return an empty directory to use as a user's own, new base
     */
    static Distribution emptyBase() throws Exception
    {
        return new Distribution(Files.createTempDirectory("gatehouse-user-base"));
    }

    Path base()
    {
        return base;
    }

    static int freePort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0))
        {
            return socket.getLocalPort();
        }
    }

    /**
     * Runs start.jar to completion (e.g. {@code --add-modules}) and returns its output.
     */
    Result startJar(String... arguments) throws Exception
    {
        List<String> command = command(List.of(), arguments);
        return run(base, command, Duration.ofMinutes(2));
    }

    /**
     * Starts Gatehouse and waits for its banner.
     */
    Running start(List<String> jvmOptions, String... arguments) throws Exception
    {
        return started(new ProcessBuilder(command(jvmOptions, arguments)).directory(base.toFile()).redirectErrorStream(true));
    }

    /**
     * Starts Gatehouse with the base's own launcher, {@code bin/gatehouse}, and waits for its banner.
     */
    Running launch(String... arguments) throws Exception
    {
        return started(launcher(arguments));
    }

    /**
     * Starts Gatehouse with {@code bin/gatehouse} and these JVM options in {@code GATEHOUSE_JAVA_OPTIONS}.
     */
    Running launchWithJavaOptions(String javaOptions, String... arguments) throws Exception
    {
        ProcessBuilder builder = launcher(arguments);
        builder.environment().put("GATEHOUSE_JAVA_OPTIONS", javaOptions);
        return started(builder);
    }

    /**
     * Starts Gatehouse with {@code bin/gatehouse} on another Java installation ({@code JAVA_HOME}).
     */
    Running launchWithJavaHome(Path javaHome, String... arguments) throws Exception
    {
        ProcessBuilder builder = launcher(arguments);
        builder.environment().put("JAVA_HOME", javaHome.toString());
        return started(builder);
    }

    /**
     * Starts one {@code bin/gatehouse} per argument list at the same moment, then waits for each
     * one's banner.
     */
    List<Running> launchAtOnce(List<List<String>> argumentLists) throws Exception
    {
        List<Running> running = new ArrayList<>();
        for (List<String> arguments : argumentLists)
        {
            Process process = launcher(arguments.toArray(String[]::new)).start();
            processes.add(process);
            running.add(new Running(process));
        }
        for (Running each : running)
            each.awaitOutput("  config in  ", Duration.ofSeconds(60));
        return running;
    }

    private Running started(ProcessBuilder builder) throws Exception
    {
        Process process = builder.start();
        processes.add(process);
        Running running = new Running(process);
        // The banner's last line: "Gatehouse started" comes first, and a test that reads the
        // "listening" lines right after it may find them not yet read from the process.
        running.awaitOutput("  config in  ", Duration.ofSeconds(60));
        return running;
    }

    /**
     * Runs {@code bin/gatehouse} to completion (start.jar commands such as {@code --list-config}).
     */
    Result launchToCompletion(String... arguments) throws Exception
    {
        Process process = launcher(arguments).start();
        Output output = new Output(process);
        if (!process.waitFor(2, TimeUnit.MINUTES))
        {
            process.destroyForcibly();
            throw new AssertionError("bin/gatehouse did not finish:\n" + output.text());
        }
        output.join();
        return new Result(process.exitValue(), output.text());
    }

    private ProcessBuilder launcher(String... arguments)
    {
        List<String> command = new ArrayList<>();
        command.add(base.resolve("bin/gatehouse").toString());
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(base.toFile()).redirectErrorStream(true);
        builder.environment().put("JETTY_HOME", HOME.toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("JETTY_BASE");
        builder.environment().remove("GATEHOUSE_JAVA_OPTIONS");
        return builder;
    }

    /**
     * Starts start.jar and waits for it to exit, for configurations that must be refused.
     */
    Result startExpectingExit(String... arguments) throws Exception
    {
        return startExpectingExit(List.of(), arguments);
    }

    /**
     * Starts start.jar with these JVM options and waits for it to exit.
     */
    Result startExpectingExit(List<String> jvmOptions, String... arguments) throws Exception
    {
        return run(base, command(jvmOptions, arguments), Duration.ofSeconds(90));
    }

    private List<String> command(List<String> jvmOptions, String... arguments)
    {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(HOME.resolve("start.jar").toString());
        command.add("jetty.home=" + HOME);
        command.add("jetty.base=" + base);
        command.addAll(List.of(arguments));
        return command;
    }

    static Result run(Path directory, List<String> command, Duration timeout) throws Exception
    {
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        Output output = new Output(process);
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError("did not finish within " + timeout + ": " + command + "\n" + output.text());
        }
        output.join();
        return new Result(process.exitValue(), output.text());
    }

    @Override
    public void close() throws Exception
    {
        for (Process process : processes)
        {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS))
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> files = Files.walk(base.getParent().getFileName().toString().startsWith("gatehouse-dist") ? base.getParent() : base))
        {
            files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
        }
        catch (UncheckedIOException | IOException ignored)
        {
            // temporary files
        }
    }

    record Result(int exitCode, String output)
    {
    }

    /**
     * A running Gatehouse process.
     */
    static final class Running
    {
        private final Process process;
        private final Output output;

        Running(Process process)
        {
            this.process = process;
            this.output = new Output(process);
        }

        long pid()
        {
            return process.pid();
        }

        /**
         * @return the process's command line, from /proc
         */
        List<String> commandLine() throws IOException
        {
            String line = Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline"), StandardCharsets.UTF_8);
            return List.of(line.split("\0"));
        }

        /**
         * @return the process's environment variables, from /proc
         */
        List<String> environment() throws IOException
        {
            String variables = Files.readString(Path.of("/proc", Long.toString(process.pid()), "environ"), StandardCharsets.UTF_8);
            return List.of(variables.split("\0"));
        }

        /**
         * Stops the process as a service manager does (SIGTERM) and waits for it to exit.
         */
        int stop(Duration timeout) throws InterruptedException
        {
            process.destroy();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
            {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("did not stop within " + timeout + ":\n" + output.text());
            }
            return process.exitValue();
        }

        String output()
        {
            return output.text();
        }

        void awaitOutput(String text, Duration timeout) throws InterruptedException
        {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!output.text().contains(text))
            {
                if (!process.isAlive())
                    throw new AssertionError("Gatehouse exited with " + process.exitValue() + " before '" + text + "':\n" + output.text());
                if (System.nanoTime() > deadline)
                    throw new AssertionError("no '" + text + "' within " + timeout + ":\n" + output.text());
                Thread.sleep(50);
            }
        }

        /**
         * @return the resident set size of the process in bytes, from /proc
         */
        long residentBytes() throws IOException
        {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status")))
            {
                if (line.startsWith("VmRSS:"))
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
            throw new IllegalStateException("no VmRSS");
        }
    }

    /**
     * Collects a process's output on a thread of its own, so the process never blocks on a full pipe.
     */
    static final class Output
    {
        private final StringBuffer text = new StringBuffer();
        private final Thread reader;

        Output(Process process)
        {
            reader = new Thread(() ->
            {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
                {
                    String line;
                    while ((line = lines.readLine()) != null)
                        text.append(line).append('\n');
                }
                catch (IOException ignored)
                {
                    // the process ended
                }
            }, "output-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        String text()
        {
            return text.toString();
        }

        void join() throws InterruptedException
        {
            reader.join(10_000);
        }
    }
}
