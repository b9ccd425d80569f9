package dev.gatehouse.plugin.forwarded;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

import dev.gatehouse.spi.IpLiterals;

/**
 * Address classification and canonical text.
 */
final class Addresses
{
    /**
     * Addresses that are not a public client: an external (trusted, not internal) proxy may not
     * present them. mod_remoteip's list (RFC 1918, 169.254/16, 127/8, IPv6 outside 2000::/3) plus
     * CGNAT 100.64/10 (never seen from the Internet) and 0/8, 240/4 (reserved; Cloudflare's
     * pseudo-IPv4 lives in 240/4).
     */
    private static final AddressSet NOT_PUBLIC = AddressSet.of(
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4");
    /**
     * Never a client at all: unspecified, multicast, broadcast (P13 of the research).
     */
    private static final AddressSet NEVER_A_CLIENT = AddressSet.of("0.0.0.0/8", "224.0.0.0/4", "255.255.255.255/32", "::/128", "ff00::/8");

    private Addresses()
    {
    }

    /**
     * @return whether an external proxy may present the address as a client
     */
    static boolean isPublic(byte[] address)
    {
        if (address.length == 16)
            return (address[0] & 0xe0) == 0x20; // 2000::/3, the global unicast space
        return !NOT_PUBLIC.contains(address);
    }

    static boolean isNeverAClient(byte[] address)
    {
        return NEVER_A_CLIENT.contains(address);
    }

    /**
     * @return the address without an IPv6 zone (a peer's {@code fe80::1%eth0}), IPv4-mapped
     * addresses as IPv4
     */
    static InetAddress peer(InetAddress address)
    {
        if (address instanceof Inet6Address v6 && (v6.getScopeId() != 0 || v6.getScopedInterface() != null))
        {
            try
            {
                address = InetAddress.getByAddress(v6.getAddress());
            }
            catch (UnknownHostException e)
            {
                throw new IllegalStateException(e);
            }
        }
        return IpLiterals.normalize(address);
    }

    /**
     * @return dotted IPv4, or IPv6 in RFC 5952 form (lower case, longest zero run compressed,
     * no brackets, no zone): what goes into headers and logs
     */
    static String format(InetAddress address)
    {
        return IpLiterals.format(address);
    }
}
