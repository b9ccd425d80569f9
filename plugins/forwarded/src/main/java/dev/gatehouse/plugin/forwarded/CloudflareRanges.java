package dev.gatehouse.plugin.forwarded;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.gatehouse.spi.Cidr;

/**
 * Reads the editable file of Cloudflare's ranges: one CIDR per line, {@code #} starts a comment.
 */
final class CloudflareRanges
{
    private CloudflareRanges()
    {
    }

    /**
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException naming the first bad line, or when the file lists no range
     */
    static List<Cidr> read(Path file) throws IOException
    {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Cidr> ranges = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++)
        {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash < 0 ? line : line.substring(0, hash)).trim();
            if (text.isEmpty())
                continue;
            try
            {
                ranges.add(Cidr.parse(text));
            }
            catch (IllegalArgumentException e)
            {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage());
            }
        }
        if (ranges.isEmpty())
            throw new IllegalArgumentException(file + " lists no range; the cloudflare preset would trust nobody");
        return List.copyOf(ranges);
    }
}
