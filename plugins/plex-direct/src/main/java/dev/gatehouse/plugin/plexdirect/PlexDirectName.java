package dev.gatehouse.plugin.plexdirect;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

import dev.gatehouse.spi.IpLiterals;

/**
 * A Plex Media Server name {@code <address>.<hash>.plex.direct}, parsed strictly and without DNS.
 *
 * <ul>
 *   <li>IPv4: the dotted quad with dashes, {@code 10-0-0-5} (no leading zeros, each part 0-255);</li>
 *   <li>IPv6: the groups with dashes, expanded ({@code 2001-0db8-0000-0000-0000-0000-0000-0001},
 *       zero padding optional) or compressed, {@code ::} written {@code --} ({@code 2001-db8--1});</li>
 *   <li>{@code <hash>}: the 32 hexadecimal digits of Plex's certificate id ({@code CertificateUUID}),
 *       which is not the 40-digit {@code machineIdentifier}.</li>
 * </ul>
 * Plex's DNS answers any such name with the address in it; this class does the same locally, so a
 * router's DNS-rebind protection cannot break the upstream. Names compare case-insensitively and
 * are kept in lower case.
 */
public final class PlexDirectName
{
    public static final String SUFFIX = ".plex.direct";
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern IPV4_LABEL = Pattern.compile("\\d{1,3}(-\\d{1,3}){3}");
    private static final Pattern IPV6_LABEL = Pattern.compile("[0-9a-f-]+");

    private final String name;
    private final InetAddress address;
    private final String hash;

    private PlexDirectName(String name, InetAddress address, String hash)
    {
        this.name = name;
        this.address = address;
        this.hash = hash;
    }

    /**
     * @return whether the host is meant to be a plex.direct name (it ends with {@code .plex.direct}),
     * valid or not
     */
    public static boolean looksLikePlexDirect(String host)
    {
        return host != null && host.toLowerCase(Locale.ROOT).endsWith(SUFFIX);
    }

    /**
     * @param host e.g. {@code 10-0-0-5.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct}
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static PlexDirectName parse(String host)
    {
        if (host == null || host.isEmpty())
            throw new IllegalArgumentException("empty host name");
        String lower = host.toLowerCase(Locale.ROOT);
        if (!lower.endsWith(SUFFIX))
            throw new IllegalArgumentException("'" + host + "' does not end with " + SUFFIX);
        String head = lower.substring(0, lower.length() - SUFFIX.length());
        int dot = head.indexOf('.');
        if (dot < 0 || head.indexOf('.', dot + 1) >= 0)
            throw new IllegalArgumentException("'" + host + "' is not <address>.<hash>.plex.direct (e.g. 10-0-0-5.<32 hex digits>.plex.direct)");
        String label = head.substring(0, dot);
        String hash = head.substring(dot + 1);
        if (!HASH.matcher(hash).matches())
            throw new IllegalArgumentException("'" + host + "': the part before .plex.direct must be the 32 hexadecimal digits of the server's certificate (found '" + hash + "', " + hash.length() + " characters)");
        return new PlexDirectName(label + "." + hash + SUFFIX, parseAddressLabel(label, host), hash);
    }

    /**
     * @return the name of the server with this certificate hash at this address: IPv4 as
     * {@code a-b-c-d}, IPv6 fully expanded with zero-padded groups, as Plex writes it
     */
    public static PlexDirectName of(InetAddress address, String hash)
    {
        String lowerHash = hash.toLowerCase(Locale.ROOT);
        if (!HASH.matcher(lowerHash).matches())
            throw new IllegalArgumentException("not a plex.direct certificate hash (32 hexadecimal digits): '" + hash + "'");
        InetAddress normalized = IpLiterals.normalize(address);
        return parse(label(normalized) + "." + lowerHash + SUFFIX);
    }

    /**
     * @return whether the text is a plex.direct certificate hash (32 hexadecimal digits, any case)
     */
    public static boolean isHash(String text)
    {
        return text != null && HASH.matcher(text.toLowerCase(Locale.ROOT)).matches();
    }

    private static String label(InetAddress address)
    {
        byte[] bytes = address.getAddress();
        if (bytes.length == 4)
            return (bytes[0] & 0xff) + "-" + (bytes[1] & 0xff) + "-" + (bytes[2] & 0xff) + "-" + (bytes[3] & 0xff);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 16; i += 2)
        {
            if (i > 0)
                text.append('-');
            text.append(String.format(Locale.ROOT, "%04x", ((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff)));
        }
        return text.toString();
    }

    private static InetAddress parseAddressLabel(String label, String host)
    {
        if (IPV4_LABEL.matcher(label).matches())
        {
            InetAddress address = IpLiterals.parseOrNull(label.replace('-', '.'));
            if (address == null)
                throw new IllegalArgumentException("'" + host + "': '" + label + "' is not an IPv4 address written with dashes (each part 0-255, no leading zeros)");
            return address;
        }
        if (!IPV6_LABEL.matcher(label).matches())
            throw new IllegalArgumentException("'" + host + "': '" + label + "' is not an IP address written with dashes (10-0-0-5, or IPv6 such as 2001-db8--1)");
        // "--" stands for "::"; a single leading or trailing dash is not an address.
        String text = label.replace('-', ':');
        if ((text.startsWith(":") && !text.startsWith("::")) || (text.endsWith(":") && !text.endsWith("::")) || text.contains(":::"))
            throw new IllegalArgumentException("'" + host + "': '" + label + "' is not an IPv6 address written with dashes");
        InetAddress address = IpLiterals.parseOrNull(text);
        if (!(address instanceof Inet6Address))
        {
            if (address instanceof Inet4Address)
                throw new IllegalArgumentException("'" + host + "': '" + label + "' is an IPv4-mapped IPv6 address; write it as IPv4, e.g. " + label((Inet4Address)address));
            throw new IllegalArgumentException("'" + host + "': '" + label + "' is not an IPv6 address written with dashes (8 groups, or fewer with -- for ::)");
        }
        return address;
    }

    /**
     * @return the name, lower case
     */
    public String name()
    {
        return name;
    }

    /**
     * @return the address in the name
     */
    public InetAddress address()
    {
        return address;
    }

    /**
     * @return the address, carrying the name: a socket connects to the address while TLS uses the
     * name for SNI and hostname verification, and nothing asks DNS
     */
    public InetAddress addressNamed()
    {
        try
        {
            return InetAddress.getByAddress(name, address.getAddress());
        }
        catch (UnknownHostException e)
        {
            throw new IllegalStateException(e);
        }
    }

    public String hash()
    {
        return hash;
    }

    public boolean isIpv6()
    {
        return address instanceof Inet6Address;
    }

    @Override
    public boolean equals(Object other)
    {
        return other instanceof PlexDirectName that && that.name.equals(name);
    }

    @Override
    public int hashCode()
    {
        return name.hashCode();
    }

    @Override
    public String toString()
    {
        return name;
    }
}
