package dev.gatehouse.testkit;

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
