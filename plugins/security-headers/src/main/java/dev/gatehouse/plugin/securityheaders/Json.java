package dev.gatehouse.plugin.securityheaders;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, small JSON reader and writer for violation reports, which come from anyone: RFC 8259
 * only, nesting bounded (no stack exhaustion), numbers kept as text, and nothing but maps, lists,
 * strings, booleans and null produced (no class names honoured, unlike general-purpose mappers).
 */
final class Json
{
    static final int MAX_DEPTH = 16;

    private final String text;
    private int position;

    private Json(String text)
    {
        this.text = text;
    }

    /**
     * @return a {@code Map<String,Object>}, {@code List<Object>}, {@code String}, {@code Boolean} or null
     * @throws IllegalArgumentException when the text is not JSON or nests deeper than {@link #MAX_DEPTH}
     */
    static Object parse(String text)
    {
        Json json = new Json(text);
        json.skipWhitespace();
        Object value = json.value(0);
        json.skipWhitespace();
        if (json.position != text.length())
            throw json.error("trailing characters");
        return value;
    }

    private Object value(int depth)
    {
        if (depth > MAX_DEPTH)
            throw error("nested too deeply");
        if (position >= text.length())
            throw error("unexpected end");
        char c = text.charAt(position);
        return switch (c)
        {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> number();
        };
    }

    private Map<String, Object> object(int depth)
    {
        Map<String, Object> map = new LinkedHashMap<>();
        position++;
        skipWhitespace();
        if (peek() == '}')
        {
            position++;
            return map;
        }
        while (true)
        {
            skipWhitespace();
            if (peek() != '"')
                throw error("expected a member name");
            String name = string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(name, value(depth + 1));
            skipWhitespace();
            char c = next();
            if (c == '}')
                return map;
            if (c != ',')
                throw error("expected ',' or '}'");
        }
    }

    private List<Object> array(int depth)
    {
        List<Object> list = new ArrayList<>();
        position++;
        skipWhitespace();
        if (peek() == ']')
        {
            position++;
            return list;
        }
        while (true)
        {
            skipWhitespace();
            list.add(value(depth + 1));
            skipWhitespace();
            char c = next();
            if (c == ']')
                return list;
            if (c != ',')
                throw error("expected ',' or ']'");
        }
    }

    private String string()
    {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true)
        {
            char c = next();
            if (c == '"')
                return out.toString();
            if (c < 0x20)
                throw error("control character in string");
            if (c != '\\')
            {
                out.append(c);
                continue;
            }
            char escape = next();
            switch (escape)
            {
                case '"', '\\', '/' -> out.append(escape);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' ->
                {
                    if (position + 4 > text.length())
                        throw error("short \\u escape");
                    try
                    {
                        out.append((char)Integer.parseInt(text.substring(position, position + 4), 16));
                    }
                    catch (NumberFormatException e)
                    {
                        throw error("bad \\u escape");
                    }
                    position += 4;
                }
                default -> throw error("bad escape");
            }
        }
    }

    private String number()
    {
        int start = position;
        while (position < text.length() && "+-0123456789.eE".indexOf(text.charAt(position)) >= 0)
            position++;
        String number = text.substring(start, position);
        if (!number.matches("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?"))
            throw error("not a value");
        return number;
    }

    private Object literal(String word, Object value)
    {
        if (!text.startsWith(word, position))
            throw error("not a value");
        position += word.length();
        return value;
    }

    private void skipWhitespace()
    {
        while (position < text.length() && " \t\r\n".indexOf(text.charAt(position)) >= 0)
            position++;
    }

    private char peek()
    {
        return position < text.length() ? text.charAt(position) : 0;
    }

    private char next()
    {
        if (position >= text.length())
            throw error("unexpected end");
        return text.charAt(position++);
    }

    private void expect(char c)
    {
        if (next() != c)
            throw error("expected '" + c + "'");
    }

    private IllegalArgumentException error(String what)
    {
        return new IllegalArgumentException(what + " at offset " + position);
    }

    /**
     * Writes maps, collections, strings, numbers, booleans and null.
     */
    static String write(Object value)
    {
        StringBuilder out = new StringBuilder();
        write(out, value);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value)
    {
        if (value == null)
        {
            out.append("null");
        }
        else if (value instanceof Map<?, ?> map)
        {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet())
            {
                if (!first)
                    out.append(',');
                first = false;
                writeString(out, String.valueOf(entry.getKey()));
                out.append(':');
                write(out, entry.getValue());
            }
            out.append('}');
        }
        else if (value instanceof Iterable<?> list)
        {
            out.append('[');
            boolean first = true;
            for (Object item : list)
            {
                if (!first)
                    out.append(',');
                first = false;
                write(out, item);
            }
            out.append(']');
        }
        else if (value instanceof Number || value instanceof Boolean)
        {
            out.append(value);
        }
        else
        {
            writeString(out, value.toString());
        }
    }

    private static void writeString(StringBuilder out, String text)
    {
        out.append('"');
        for (int i = 0; i < text.length(); i++)
        {
            char c = text.charAt(i);
            switch (c)
            {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default ->
                {
                    // Escapes '<' too, so the summary cannot become markup if a browser renders it.
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029)
                        out.append(String.format("\\u%04x", (int)c));
                    else
                        out.append(c);
                }
            }
        }
        out.append('"');
    }
}
