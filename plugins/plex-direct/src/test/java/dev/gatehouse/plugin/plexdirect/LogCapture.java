package dev.gatehouse.plugin.plexdirect;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import org.eclipse.jetty.logging.JettyLogger;
import org.eclipse.jetty.logging.StdErrAppender;
import org.slf4j.LoggerFactory;

/**
 * Captures everything Jetty's slf4j binding writes (every logger shares one appender) while still
 * passing it on to the original stream.
 */
final class LogCapture implements AutoCloseable
{
    private final StdErrAppender appender;
    private final PrintStream original;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    LogCapture()
    {
        appender = (StdErrAppender)((JettyLogger)LoggerFactory.getLogger(PlexDirectRoute.class)).getAppender();
        original = appender.getStream();
        PrintStream target = original == null ? System.err : original;
        appender.setStream(new PrintStream(new OutputStream()
        {
            @Override
            public void write(int b)
            {
                synchronized (captured)
                {
                    captured.write(b);
                }
                target.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length)
            {
                synchronized (captured)
                {
                    captured.write(bytes, offset, length);
                }
                target.write(bytes, offset, length);
            }
        }, true, StandardCharsets.UTF_8));
    }

    String text()
    {
        synchronized (captured)
        {
            return captured.toString(StandardCharsets.UTF_8);
        }
    }

    List<String> lines(String containing)
    {
        return Arrays.stream(text().split("\n")).filter(line -> line.contains(containing)).toList();
    }

    /**
     * Waits, bounded, for a line containing the text.
     */
    String await(String containing, long timeoutMillis) throws InterruptedException
    {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (System.nanoTime() < deadline)
        {
            List<String> found = lines(containing);
            if (!found.isEmpty())
                return found.get(0);
            Thread.sleep(50);
        }
        throw new AssertionError("no log line containing '" + containing + "' within " + timeoutMillis + " ms; log:\n" + text());
    }

    @Override
    public void close()
    {
        appender.setStream(original);
    }
}
