package dev.gatehouse.plugin.forwarded;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

import dev.gatehouse.spi.Cidr;

/**
 * A fixed set of address blocks, checked against raw address bytes without allocating: IPv4
 * blocks as (network, mask) ints and IPv6 blocks as two (network, mask) longs. The bytes are
 * those of an already normalised address (IPv4-mapped IPv6 turned into IPv4 by
 * {@link dev.gatehouse.spi.IpLiterals}), so {@code ::ffff:10.0.0.1} matches {@code 10.0.0.0/8}.
 */
final class AddressSet
{
    static final AddressSet EMPTY = new AddressSet(List.of());

    private final List<Cidr> blocks;
    private final int[] v4Networks;
    private final int[] v4Masks;
    private final long[] v6Networks;
    private final long[] v6Masks;

    AddressSet(Collection<Cidr> blocks)
    {
        this.blocks = List.copyOf(new java.util.LinkedHashSet<>(blocks));
        List<int[]> v4 = new ArrayList<>();
        List<long[]> v6 = new ArrayList<>();
        for (Cidr block : this.blocks)
        {
            String text = block.toString();
            byte[] network = dev.gatehouse.spi.IpLiterals.parse(text.substring(0, text.indexOf('/'))).getAddress();
            int prefix = block.prefixLength();
            if (network.length == 4)
            {
                int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
                v4.add(new int[]{toInt(network, 0), mask});
            }
            else
            {
                long maskHigh = prefix == 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
                long maskLow = prefix <= 64 ? 0 : prefix == 128 ? -1L : -1L << (128 - prefix);
                v6.add(new long[]{toLong(network, 0), toLong(network, 8), maskHigh, maskLow});
            }
        }
        v4Networks = new int[v4.size()];
        v4Masks = new int[v4.size()];
        for (int i = 0; i < v4.size(); i++)
        {
            v4Networks[i] = v4.get(i)[0];
            v4Masks[i] = v4.get(i)[1];
        }
        v6Networks = new long[v6.size() * 2];
        v6Masks = new long[v6.size() * 2];
        for (int i = 0; i < v6.size(); i++)
        {
            long[] block = v6.get(i);
            v6Networks[2 * i] = block[0];
            v6Networks[2 * i + 1] = block[1];
            v6Masks[2 * i] = block[2];
            v6Masks[2 * i + 1] = block[3];
        }
    }

    static AddressSet of(String... cidrs)
    {
        return new AddressSet(Arrays.stream(cidrs).map(Cidr::parse).toList());
    }

    AddressSet union(AddressSet other)
    {
        List<Cidr> all = new ArrayList<>(blocks);
        all.addAll(other.blocks);
        return new AddressSet(all);
    }

    boolean isEmpty()
    {
        return blocks.isEmpty();
    }

    List<Cidr> blocks()
    {
        return blocks;
    }

    /**
     * @param address 4 or 16 bytes of a normalised address
     */
    boolean contains(byte[] address)
    {
        if (address.length == 4)
        {
            int value = toInt(address, 0);
            for (int i = 0; i < v4Networks.length; i++)
            {
                if ((value & v4Masks[i]) == v4Networks[i])
                    return true;
            }
            return false;
        }
        long high = toLong(address, 0);
        long low = toLong(address, 8);
        for (int i = 0; i < v6Networks.length; i += 2)
        {
            if ((high & v6Masks[i]) == v6Networks[i] && (low & v6Masks[i + 1]) == v6Networks[i + 1])
                return true;
        }
        return false;
    }

    static int toInt(byte[] bytes, int offset)
    {
        return (bytes[offset] & 0xff) << 24 | (bytes[offset + 1] & 0xff) << 16 | (bytes[offset + 2] & 0xff) << 8 | (bytes[offset + 3] & 0xff);
    }

    static long toLong(byte[] bytes, int offset)
    {
        long value = 0;
        for (int i = 0; i < 8; i++)
            value = value << 8 | (bytes[offset + i] & 0xff);
        return value;
    }

    @Override
    public String toString()
    {
        return blocks.toString();
    }
}
