package dev.gatehouse.spi;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An address block such as {@code 10.0.0.0/8} or {@code fd00::/8}; a single address stands for a
 * block of one ({@code /32} or {@code /128}). Parsed strictly by {@link IpLiterals}, never by DNS.
 */
public final class Cidr
{
    private final byte[] network;
    private final int prefixLength;
    private final String text;

    private Cidr(byte[] network, int prefixLength, String text)
    {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /**
     * @param text {@code address} or {@code address/prefix}
     * @throws IllegalArgumentException with a message fit for a user
     */
    public static Cidr parse(String text)
    {
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String addressText = slash < 0 ? trimmed : trimmed.substring(0, slash);
        InetAddress address = IpLiterals.parseOrNull(addressText);
        if (address == null)
            throw new IllegalArgumentException("expected an address block such as 10.0.0.0/8 or fd00::/8, got '" + text + "'");
        byte[] bytes = address.getAddress();
        int maximum = bytes.length * 8;
        int prefix = maximum;
        if (slash >= 0)
        {
            String prefixText = trimmed.substring(slash + 1);
            if (!prefixText.matches("\\d{1,3}") || (prefixText.length() > 1 && prefixText.charAt(0) == '0'))
                throw new IllegalArgumentException("bad prefix length in '" + text + "'");
            prefix = Integer.parseInt(prefixText);
            // An IPv4-mapped block (::ffff:10.0.0.0/104) is normalised to its IPv4 block.
            if (bytes.length == 4 && addressText.indexOf(':') >= 0)
                prefix -= 96;
            if (prefix < 0 || prefix > maximum)
                throw new IllegalArgumentException("prefix length out of range (0-" + maximum + ") in '" + text + "'");
        }
        byte[] network = mask(bytes, prefix);
        if (!Arrays.equals(network, bytes))
            throw new IllegalArgumentException("'" + text + "' has host bits set; did you mean " + format(network, prefix) + "?");
        return new Cidr(network, prefix, format(network, prefix));
    }

    public boolean contains(InetAddress address)
    {
        byte[] bytes = IpLiterals.normalize(address).getAddress();
        return bytes.length == network.length && Arrays.equals(mask(bytes, prefixLength), network);
    }

    public int prefixLength()
    {
        return prefixLength;
    }

    public boolean isIpv4()
    {
        return network.length == 4;
    }

    private static byte[] mask(byte[] bytes, int prefix)
    {
        byte[] masked = bytes.clone();
        for (int i = 0; i < masked.length; i++)
        {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            masked[i] = (byte)(masked[i] & (0xff << (8 - bits)));
        }
        return masked;
    }

    private static String format(byte[] network, int prefix)
    {
        try
        {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
        }
        catch (java.net.UnknownHostException e)
        {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object other)
    {
        return other instanceof Cidr cidr && cidr.prefixLength == prefixLength && Arrays.equals(cidr.network, network);
    }

    @Override
    public int hashCode()
    {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    @Override
    public String toString()
    {
        return text;
    }
}
