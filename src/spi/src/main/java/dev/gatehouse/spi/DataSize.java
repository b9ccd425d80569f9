package dev.gatehouse.spi;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A number of bytes, written with a unit: {@code B}, binary {@code KiB MiB GiB TiB} (powers of
 * 1024) or decimal {@code kB MB GB TB} (powers of 1000).
 */
public final class DataSize implements Comparable<DataSize>
{
    private static final Pattern SYNTAX = Pattern.compile("(\\d+)\\s*([a-zA-Z]*)");

    private final long bytes;

    private DataSize(long bytes)
    {
        if (bytes < 0)
            throw new IllegalArgumentException("a size cannot be negative");
        this.bytes = bytes;
    }

    public static DataSize ofBytes(long bytes)
    {
        return new DataSize(bytes);
    }

    /**
     * @param text e.g. {@code 64KiB}
     * @return the size
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static DataSize parse(String text)
    {
        Matcher matcher = SYNTAX.matcher(text.trim());
        if (!matcher.matches())
            throw new IllegalArgumentException("expected a size such as 512B, 64KiB, 16MiB or 1GiB");
        long multiplier = switch (matcher.group(2).toLowerCase(Locale.ROOT))
        {
            case "b" -> 1L;
            case "kib" -> 1L << 10;
            case "mib" -> 1L << 20;
            case "gib" -> 1L << 30;
            case "tib" -> 1L << 40;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            case "" -> throw new IllegalArgumentException("a size needs a unit: B, KiB, MiB, GiB, TiB (or kB, MB, GB, TB)");
            default -> throw new IllegalArgumentException("unknown unit '" + matcher.group(2) + "': use B, KiB, MiB, GiB, TiB (or kB, MB, GB, TB)");
        };
        try
        {
            return new DataSize(Math.multiplyExact(Long.parseLong(matcher.group(1)), multiplier));
        }
        catch (ArithmeticException | NumberFormatException e)
        {
            throw new IllegalArgumentException("the size is too large");
        }
    }

    public long toBytes()
    {
        return bytes;
    }

    /**
     * @return the size as an {@code int}, for APIs that take one
     * @throws ArithmeticException when it does not fit
     */
    public int toIntBytes()
    {
        return Math.toIntExact(bytes);
    }

    @Override
    public int compareTo(DataSize other)
    {
        return Long.compare(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object other)
    {
        return other instanceof DataSize size && size.bytes == bytes;
    }

    @Override
    public int hashCode()
    {
        return Objects.hashCode(bytes);
    }

    /**
     * @return the shortest exact text, e.g. {@code 64KiB}, which {@link #parse} reads back
     */
    @Override
    public String toString()
    {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        long value = bytes;
        int unit = 0;
        while (unit < units.length - 1 && value != 0 && value % 1024 == 0)
        {
            value /= 1024;
            unit++;
        }
        return value + units[unit];
    }
}
