package dev.gatehouse.dist;

import java.io.InputStream;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.gatehouse.testkit.PatternContent;
import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.io.Content;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Media-sized transfers through the distribution started with -Xmx256m: a download larger than
 * the heap many times over, with a 60-second pause in the middle, and a 1 GiB upload.
 */
class StreamingIT
{
    private static final long DOWNLOAD = (2L << 30) + 12345;
    private static final long UPLOAD = 1L << 30;

    @Test
    void multiGigabyteDownloadWithAPausedPlayerAndAGigabyteUploadInA256MiBHeap() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             Distribution distribution = Distribution.fromTarball())
        {
            int port = Distribution.freePort();
            Distribution.Running gatehouse = distribution.start(List.of("-Xmx256m"),
                "jetty.ssl.port=" + port, "gatehouse.upstream=" + upstream.uri());
            HttpClient client = DistributionIT.client(false);
            try
            {
                InputStreamResponseListener listener = new InputStreamResponseListener();
                client.newRequest(URI.create("https://localhost:" + port + "/bytes/" + DOWNLOAD)).idleTimeout(5, TimeUnit.MINUTES).send(listener);
                Response response = listener.get(30, TimeUnit.SECONDS);
                assertEquals(200, response.getStatus());
                assertEquals(String.valueOf(DOWNLOAD), response.getHeaders().get("Content-Length"));
                long residentEarly;
                long residentPeak = 0;
                try (InputStream body = listener.getInputStream())
                {
                    long read = PatternContent.readAndCheck(body, 0, 256L << 20);
                    residentEarly = gatehouse.residentBytes();

                    // A player paused for a minute: Jetty's 30 s defaults would cut it here.
                    long upstreamBefore = upstream.bytesSent();
                    Thread.sleep(60_000);
                    long upstreamDuringPause = upstream.bytesSent() - upstreamBefore;
                    assertTrue(upstreamDuringPause < 32L << 20, "the upstream sent " + upstreamDuringPause + " bytes while the player was paused");

                    while (read < DOWNLOAD)
                    {
                        read += PatternContent.readAndCheck(body, read, Math.min(256L << 20, DOWNLOAD - read));
                        residentPeak = Math.max(residentPeak, gatehouse.residentBytes());
                    }
                    assertEquals(-1, body.read(), "the body is longer than its Content-Length");
                }
                // Flat: the heap is capped at 256 MiB and the resident size does not grow with the stream.
                assertTrue(residentPeak - residentEarly < 96L << 20, "resident memory grew from " + residentEarly + " to " + residentPeak);

                ContentResponse uploaded = client.newRequest(URI.create("https://localhost:" + port + "/upload"))
                    .method("POST").body(new PatternContent(UPLOAD)).timeout(5, TimeUnit.MINUTES).send();
                assertEquals(200, uploaded.getStatus(), uploaded.getContentAsString());
                assertEquals("bytes=" + UPLOAD + " crc=" + Long.toHexString(PatternContent.crc(UPLOAD)) + "\n", uploaded.getContentAsString());
                System.out.printf("StreamingIT: resident %d MiB after 256 MiB, peak %d MiB over %d MiB%n", residentEarly >> 20, residentPeak >> 20, DOWNLOAD >> 20);
            }
            finally
            {
                client.stop();
            }
        }
    }
}
