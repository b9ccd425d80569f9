package dev.gatehouse.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32;

import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.io.Content;

/**
 * A request body of {@code size} bytes of {@link StandInUpstream#patternByte(long)}, produced as it
 * is read and never held in memory, for uploads of any size; {@link StandInUpstream}'s
 * {@code /upload} answers with the same {@link #crc(long)}.
 */
public final class PatternContent implements Request.Content
{
    private static final int CHUNK = 256 * 1024;

    private final long size;
    private long position;

    public PatternContent(long size)
    {
        this.size = size;
    }

    /**
     * @return the CRC-32 of the first {@code size} pattern bytes
     */
    public static long crc(long size)
    {
        CRC32 crc = new CRC32();
        byte[] buffer = new byte[CHUNK];
        for (long position = 0; position < size; position += buffer.length)
        {
            int length = (int)Math.min(buffer.length, size - position);
            for (int i = 0; i < length; i++)
                buffer[i] = StandInUpstream.patternByte(position + i);
            crc.update(buffer, 0, length);
        }
        return crc.getValue();
    }

    /**
     * @return {@code length} pattern bytes from {@code position} on, as a {@code /bytes} body holds them
     */
    public static byte[] bytes(long position, int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
            bytes[i] = StandInUpstream.patternByte(position + i);
        return bytes;
    }

    /**
     * Reads exactly {@code count} bytes of a body of pattern bytes, checking each.
     *
     * @param position where in the pattern the stream stands
     * @return {@code count}
     * @throws AssertionError naming the position of the first wrong byte, or where the body ended
     */
    public static long readAndCheck(InputStream input, long position, long count) throws IOException
    {
        byte[] buffer = new byte[64 * 1024];
        long done = 0;
        while (done < count)
        {
            int read = input.read(buffer, 0, (int)Math.min(buffer.length, count - done));
            if (read < 0)
                throw new AssertionError("the body ended at " + (position + done));
            for (int i = 0; i < read; i++)
            {
                if (buffer[i] != StandInUpstream.patternByte(position + done + i))
                    throw new AssertionError("wrong byte at " + (position + done + i));
            }
            done += read;
        }
        return done;
    }

    @Override
    public long getLength()
    {
        return size;
    }

    @Override
    public String getContentType()
    {
        return "application/octet-stream";
    }

    @Override
    public synchronized Content.Chunk read()
    {
        if (position >= size)
            return Content.Chunk.EOF;
        int length = (int)Math.min(CHUNK, size - position);
        ByteBuffer buffer = ByteBuffer.allocate(length);
        for (int i = 0; i < length; i++)
            buffer.put(StandInUpstream.patternByte(position + i));
        buffer.flip();
        position += length;
        return Content.Chunk.from(buffer, position >= size);
    }

    @Override
    public void demand(Runnable demandCallback)
    {
        demandCallback.run();
    }

    @Override
    public void fail(Throwable failure)
    {
    }

    @Override
    public boolean rewind()
    {
        return false;
    }
}
