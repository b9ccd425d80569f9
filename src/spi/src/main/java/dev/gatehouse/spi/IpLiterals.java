package dev.gatehouse.spi;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A strict parser of IP address literals that never touches DNS.
 *
 * <p>{@link InetAddress#getByName} resolves anything that is not a literal, accepts zone ids and
 * the octal-looking {@code 010.0.0.1}; a proxy that judges trust by address must not. This parser
 * accepts dotted-quad IPv4 without leading zeros and RFC 4291 IPv6 text without zone ids, and
 * turns IPv4-mapped IPv6 ({@code ::ffff:10.0.0.1}) into the IPv4 address, so that range checks
 * cannot be dodged by spelling an IPv4 address as IPv6.</p>
 */
public final class IpLiterals
{
    private IpLiterals()
    {
    }

    /**
     * @param text e.g. {@code 192.0.2.1} or {@code 2001:db8::1}; no brackets, no port, no zone
     * @return the address, IPv4-mapped IPv6 normalised to IPv4
     * @throws IllegalArgumentException when the text is not such a literal
     */
    public static InetAddress parse(String text)
    {
        if (text == null || text.isEmpty())
            throw new IllegalArgumentException("empty address");
        if (text.indexOf(':') >= 0)
            return normalize(parseIpv6(text));
        return parseIpv4(text);
    }

    /**
     * @return the address or {@code null} when the text is not a strict literal
     */
    public static InetAddress parseOrNull(String text)
    {
        try
        {
            return parse(text);
        }
        catch (IllegalArgumentException e)
        {
            return null;
        }
    }

    /**
     * @return the IPv4 address for an IPv4-mapped IPv6 address, otherwise the address itself
     */
    public static InetAddress normalize(InetAddress address)
    {
        if (address instanceof Inet6Address)
        {
            byte[] bytes = address.getAddress();
            for (int i = 0; i < 10; i++)
            {
                if (bytes[i] != 0)
                    return address;
            }
            if (bytes[10] == (byte)0xff && bytes[11] == (byte)0xff)
                return byAddress(new byte[]{bytes[12], bytes[13], bytes[14], bytes[15]});
        }
        return address;
    }

    /**
     * @return dotted IPv4 (also for IPv4-mapped IPv6), or IPv6 in RFC 5952 form (lower case, the
     * longest run of two or more zero groups compressed, the first on a tie), never brackets or a
     * zone: the form X-Forwarded-For readers such as Plex, nginx and Envoy take as an address
     */
    public static String format(InetAddress address)
    {
        byte[] bytes = normalize(address).getAddress();
        if (bytes.length == 4)
            return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++)
            groups[i] = (bytes[2 * i] & 0xff) << 8 | (bytes[2 * i + 1] & 0xff);
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; )
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0)
                i++;
            if (i - start > bestLength)
            {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':')
                text.append(':');
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    private static Inet4Address parseIpv4(String text)
    {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++)
            bytes[i] = (byte)parseOctet(parts[i], text);
        return (Inet4Address)byAddress(bytes);
    }

    private static int parseOctet(String part, String text)
    {
        if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0'))
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        int value = 0;
        for (int i = 0; i < part.length(); i++)
        {
            char c = part.charAt(i);
            if (c < '0' || c > '9')
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            value = value * 10 + (c - '0');
        }
        if (value > 255)
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        return value;
    }

    private static InetAddress parseIpv6(String text)
    {
        // Only hex digits, colons and (for an embedded IPv4 tail) dots: this keeps zone ids,
        // brackets and host names away from InetAddress, which would otherwise resolve them.
        int colons = 0;
        for (int i = 0; i < text.length(); i++)
        {
            char c = text.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (c == ':')
                colons++;
            else if (!hex && c != '.')
                throw new IllegalArgumentException("not an IPv6 address: " + text);
        }
        if (colons < 2 || colons > 7)
            throw new IllegalArgumentException("not an IPv6 address: " + text);
        int lastColon = text.lastIndexOf(':');
        String tail = text.substring(lastColon + 1);
        if (tail.indexOf('.') >= 0)
            parseIpv4(tail);
        else if (text.substring(0, lastColon).indexOf('.') >= 0)
            throw new IllegalArgumentException("not an IPv6 address: " + text);
        for (String group : text.split(":", -1))
        {
            if (group.length() > 4 && group.indexOf('.') < 0)
                throw new IllegalArgumentException("not an IPv6 address: " + text);
        }
        try
        {
            // Safe: the text is a syntactically checked literal, so no lookup happens.
            return InetAddress.getByName(text);
        }
        catch (UnknownHostException e)
        {
            throw new IllegalArgumentException("not an IPv6 address: " + text);
        }
    }

    private static InetAddress byAddress(byte[] bytes)
    {
        try
        {
            return InetAddress.getByAddress(bytes);
        }
        catch (UnknownHostException e)
        {
            throw new IllegalStateException(e);
        }
    }
}
