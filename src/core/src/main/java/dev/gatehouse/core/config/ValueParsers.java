package dev.gatehouse.core.config;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.gatehouse.spi.Cidr;
import dev.gatehouse.spi.DataSize;

/**
 * Turns property text into the typed values of configuration setters. Every failure is an
 * {@link IllegalArgumentException} whose message says what was expected, for a user to read.
 */
final class ValueParsers
{
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private final Path base;

    ValueParsers(Path base)
    {
        this.base = base;
    }

    static boolean isSupported(Type type)
    {
        if (type instanceof ParameterizedType parameterized)
            return parameterized.getRawType() == List.class && isSupported(parameterized.getActualTypeArguments()[0]) && !(parameterized.getActualTypeArguments()[0] instanceof ParameterizedType);
        if (!(type instanceof Class<?> type1))
            return false;
        return type1 == String.class || type1 == int.class || type1 == Integer.class || type1 == long.class || type1 == Long.class ||
            type1 == boolean.class || type1 == Boolean.class || type1 == Duration.class || type1 == DataSize.class ||
            type1 == URI.class || type1 == Path.class || type1 == Cidr.class || type1.isEnum();
    }

    Object parse(String text, Type type)
    {
        if (type instanceof ParameterizedType parameterized)
            return parseList(text, parameterized.getActualTypeArguments()[0]);
        Class<?> target = (Class<?>)type;
        String value = text.trim();
        if (target == String.class)
            return value;
        if (target == int.class || target == Integer.class)
            return parseInt(value);
        if (target == long.class || target == Long.class)
            return parseLong(value);
        if (target == boolean.class || target == Boolean.class)
            return parseBoolean(value);
        if (target == Duration.class)
            return parseDuration(value);
        if (target == DataSize.class)
            return DataSize.parse(value);
        if (target == URI.class)
            return parseUri(value);
        if (target == Path.class)
            return parsePath(value);
        if (target == Cidr.class)
            return Cidr.parse(value);
        if (target.isEnum())
            return parseEnum(value, target);
        throw new IllegalStateException("unsupported configuration type " + type);
    }

    private List<Object> parseList(String text, Type elementType)
    {
        List<Object> values = new ArrayList<>();
        if (text.isBlank())
            return List.of();
        for (String element : text.split(","))
        {
            if (element.isBlank())
                throw new IllegalArgumentException("empty element in the comma-separated list");
            values.add(parse(element, elementType));
        }
        return List.copyOf(values);
    }

    private static int parseInt(String value)
    {
        try
        {
            return Integer.parseInt(value);
        }
        catch (NumberFormatException e)
        {
            throw new IllegalArgumentException("expected a whole number");
        }
    }

    private static long parseLong(String value)
    {
        try
        {
            return Long.parseLong(value);
        }
        catch (NumberFormatException e)
        {
            throw new IllegalArgumentException("expected a whole number");
        }
    }

    private static boolean parseBoolean(String value)
    {
        // Strict: "yes", "1" or "ture" must not silently mean false.
        return switch (value)
        {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("expected true or false");
        };
    }

    static Duration parseDuration(String value)
    {
        Matcher matcher = DURATION.matcher(value);
        if (!matcher.matches())
            throw new IllegalArgumentException("expected a duration such as 500ms, 30s, 10m, 2h or 7d");
        long amount;
        try
        {
            amount = Long.parseLong(matcher.group(1));
        }
        catch (NumberFormatException e)
        {
            throw new IllegalArgumentException("the duration is too long");
        }
        return switch (matcher.group(2))
        {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }

    /**
     * @return the shortest exact text for a duration, which {@link #parseDuration} reads back
     */
    static String formatDuration(Duration duration)
    {
        long millis = duration.toMillis();
        if (millis == 0)
            return "0s";
        long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
        String[] units = {"d", "h", "m", "s"};
        for (int i = 0; i < sizes.length; i++)
        {
            if (millis % sizes[i] == 0)
                return millis / sizes[i] + units[i];
        }
        return millis + "ms";
    }

    private static URI parseUri(String value)
    {
        try
        {
            URI uri = new URI(value);
            if (uri.getScheme() == null || uri.getHost() == null)
                throw new IllegalArgumentException("expected an absolute URI such as http://127.0.0.1:32400");
            return uri;
        }
        catch (URISyntaxException e)
        {
            throw new IllegalArgumentException("not a valid URI: " + e.getReason());
        }
    }

    private Path parsePath(String value)
    {
        if (value.isEmpty())
            throw new IllegalArgumentException("expected a file or directory path");
        try
        {
            return base.resolve(value).normalize();
        }
        catch (InvalidPathException e)
        {
            throw new IllegalArgumentException("not a valid path: " + e.getReason());
        }
    }

    private static Object parseEnum(String value, Class<?> type)
    {
        String wanted = value.replace('-', '_');
        for (Object constant : type.getEnumConstants())
        {
            if (((Enum<?>)constant).name().equalsIgnoreCase(wanted))
                return constant;
        }
        throw new IllegalArgumentException("expected one of: " + Arrays.stream(type.getEnumConstants())
            .map(ValueParsers::formatEnum)
            .collect(Collectors.joining(", ")));
    }

    static String formatEnum(Object constant)
    {
        return ((Enum<?>)constant).name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * @return the value as it would be written in a property, for the logged effective configuration
     */
    static String format(Object value)
    {
        if (value == null)
            return "";
        if (value instanceof Duration duration)
            return formatDuration(duration);
        if (value instanceof Enum<?> constant)
            return formatEnum(constant);
        if (value instanceof List<?> list)
            return list.stream().map(ValueParsers::format).collect(Collectors.joining(","));
        return value.toString();
    }
}
