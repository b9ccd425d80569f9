package dev.gatehouse.plugin.forwarded;

/**
 * One element of an RFC 7239 {@code Forwarded} field: {@code for=...;proto=...;host=...}.
 * Parameter names are case-insensitive; values are tokens or quoted strings; a parameter given
 * twice, a missing {@code =}, a bad token or an unterminated quote make the element malformed.
 * Unknown parameters (including {@code by}) are allowed and ignored.
 */
final class ForwardedElement
{
    static final ForwardedElement MALFORMED = new ForwardedElement(true, null, null, null);

    final boolean malformed;
    /**
     * The {@code for} node, unquoted; {@code null} when absent, {@code unknown} or obfuscated.
     */
    final String forNode;
    final String proto;
    final String host;

    private ForwardedElement(boolean malformed, String forNode, String proto, String host)
    {
        this.malformed = malformed;
        this.forNode = forNode;
        this.proto = proto;
        this.host = host;
    }

    static ForwardedElement parse(String text, int start, int end)
    {
        String forValue = null;
        String proto = null;
        String host = null;
        boolean seenFor = false;
        boolean seenProto = false;
        boolean seenHost = false;
        boolean seenBy = false;
        int position = start;
        while (position < end)
        {
            position = ClientResolver.trimStart(text, position, end);
            if (position == end)
                break;
            if (text.charAt(position) == ';')
            {
                // forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] ): empty pairs are allowed
                position++;
                continue;
            }
            int nameStart = position;
            while (position < end && isTokenChar(text.charAt(position)))
                position++;
            int nameEnd = position;
            if (nameEnd == nameStart || position == end || text.charAt(position) != '=')
                return MALFORMED;
            position++;
            String value;
            if (position < end && text.charAt(position) == '"')
            {
                StringBuilder unquoted = new StringBuilder(end - position);
                position++;
                boolean closed = false;
                while (position < end)
                {
                    char c = text.charAt(position++);
                    if (c == '"')
                    {
                        closed = true;
                        break;
                    }
                    if (c == '\\')
                    {
                        if (position == end)
                            return MALFORMED;
                        c = text.charAt(position++);
                    }
                    if (c < 0x20 && c != '\t' || c == 0x7f)
                        return MALFORMED;
                    unquoted.append(c);
                }
                if (!closed)
                    return MALFORMED;
                value = unquoted.toString();
            }
            else
            {
                int valueStart = position;
                while (position < end && isTokenChar(text.charAt(position)))
                    position++;
                if (position == valueStart)
                    return MALFORMED;
                value = text.substring(valueStart, position);
            }
            position = ClientResolver.trimStart(text, position, end);
            if (position < end && text.charAt(position) != ';')
                return MALFORMED;
            int length = nameEnd - nameStart;
            if (length == 3 && text.regionMatches(true, nameStart, "for", 0, 3))
            {
                if (seenFor)
                    return MALFORMED;
                seenFor = true;
                forValue = value;
            }
            else if (length == 5 && text.regionMatches(true, nameStart, "proto", 0, 5))
            {
                if (seenProto)
                    return MALFORMED;
                seenProto = true;
                proto = value;
            }
            else if (length == 4 && text.regionMatches(true, nameStart, "host", 0, 4))
            {
                if (seenHost)
                    return MALFORMED;
                seenHost = true;
                host = value;
            }
            else if (length == 2 && text.regionMatches(true, nameStart, "by", 0, 2))
            {
                if (seenBy)
                    return MALFORMED;
                seenBy = true;
            }
        }
        if (forValue != null && isUnknownOrObfuscated(forValue))
            forValue = null;
        else if (forValue != null && forValue.isEmpty())
            return MALFORMED;
        return new ForwardedElement(false, forValue, proto, host);
    }

    /**
     * @return whether the node's name (before any {@code :port}) is {@code unknown} or obfuscated
     */
    private static boolean isUnknownOrObfuscated(String node)
    {
        int colon = node.startsWith("[") ? -1 : node.indexOf(':');
        int end = colon < 0 ? node.length() : colon;
        return (end == 7 && node.regionMatches(true, 0, "unknown", 0, 7)) || isObfuscated(node, 0, end);
    }

    /**
     * @return whether the text is an obfuscated node or port: {@code "_" 1*( ALPHA / DIGIT / "." / "_" / "-" )}
     */
    static boolean isObfuscated(String text, int start, int end)
    {
        if (end - start < 2 || text.charAt(start) != '_')
            return false;
        for (int i = start + 1; i < end; i++)
        {
            char c = text.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
                return false;
        }
        return true;
    }

    /**
     * RFC 9110 tchar.
     */
    static boolean isTokenChar(char c)
    {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            return true;
        return switch (c)
        {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }
}
