package dev.gatehouse.plugin.securityheaders;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the Node scripts in {@code src/test/browser} for the browser and Observatory tests. When
 * node, chromium or the npm packages are missing the tests are skipped with a message saying what
 * to install, unless {@code GATEHOUSE_REQUIRE_BROWSER=1}, which CI sets so that a missing install
 * step fails instead of hiding.
 */
final class NodeTools
{
    static final Path DIRECTORY = Path.of("src/test/browser").toAbsolutePath();
    static final String INSTALL_HINT = "apt-get install -y chromium nodejs npm && (cd plugins/security-headers/src/test/browser && npm ci --ignore-scripts --no-audit --no-fund)";

    private NodeTools()
    {
    }

    static void assumeAvailable(String... packages)
    {
        List<String> missing = new ArrayList<>();
        if (findOnPath("node") == null)
            missing.add("node");
        if (!Files.isExecutable(Path.of("/usr/bin/chromium")) && System.getenv("CHROMIUM") == null && List.of(packages).contains("playwright-core"))
            missing.add("/usr/bin/chromium");
        for (String name : packages)
        {
            if (!Files.isDirectory(DIRECTORY.resolve("node_modules").resolve(name)))
                missing.add("npm package " + name);
        }
        if (missing.isEmpty())
            return;
        String message = "missing " + missing + "; install with: " + INSTALL_HINT;
        if ("1".equals(System.getenv("GATEHOUSE_REQUIRE_BROWSER")))
            fail(message);
        Assumptions.abort(message);
    }

    private static Path findOnPath(String command)
    {
        String path = System.getenv("PATH");
        if (path == null)
            return null;
        for (String directory : path.split(java.io.File.pathSeparator))
        {
            Path candidate = Path.of(directory, command);
            if (Files.isExecutable(candidate))
                return candidate;
        }
        return null;
    }

    record Result(int exitCode, String stdout, String stderr)
    {
        /**
         * @return the last line of standard output that is a JSON object
         */
        String jsonLine()
        {
            String[] lines = stdout.strip().split("\n");
            for (int i = lines.length - 1; i >= 0; i--)
            {
                if (lines[i].startsWith("{"))
                    return lines[i];
            }
            return null;
        }
    }

    /**
     * Runs {@code node script args...} in the scripts' directory, bounded in time.
     */
    static Result run(Map<String, String> environment, long timeoutSeconds, String script, String... args) throws IOException, InterruptedException
    {
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(DIRECTORY.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread outReader = pump(process.getInputStream(), out);
        Thread errReader = pump(process.getErrorStream(), err);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
        {
            // Only this process and its own children: never anything found by name.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        outReader.join(5000);
        errReader.join(5000);
        return new Result(process.isAlive() ? -1 : process.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream out)
    {
        Thread thread = new Thread(() ->
        {
            try (in)
            {
                in.transferTo(out);
            }
            catch (IOException ignored)
            {
                // the process ended
            }
        }, "node-output");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
