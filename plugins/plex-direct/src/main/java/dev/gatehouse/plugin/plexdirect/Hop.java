package dev.gatehouse.plugin.plexdirect;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import dev.gatehouse.spi.Cidr;
import dev.gatehouse.spi.IpLiterals;

/**
 * The proxy-to-Plex hop. Plex honours {@code X-Forwarded-For} only when the connection comes from
 * a private IPv4 address (RFC1918; a loopback peer was also seen accepted, research/plex.md 3.2);
 * from an IPv6 or public source it treats every client as the proxy. This class decides the source
 * address ({@link org.eclipse.jetty.io.ClientConnector#setBindAddress}) and says what is wrong.
 * It only asks the kernel (interface list, route choice): nothing goes on the network.
 */
final class Hop
{
    private static final List<Cidr> RFC1918 = List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("172.16.0.0/12"), Cidr.parse("192.168.0.0/16"));

    /**
     * @param bind the source address to bind, or {@code null} to let the kernel choose
     * @param source the source connections will have, or {@code null} when unknown
     * @param warnings what the operator must hear
     */
    record Decision(InetAddress bind, InetAddress source, List<String> warnings)
    {
    }

    private Hop()
    {
    }

    static boolean isRfc1918(InetAddress address)
    {
        InetAddress normalized = IpLiterals.normalize(address);
        return normalized instanceof Inet4Address && RFC1918.stream().anyMatch(block -> block.contains(normalized));
    }

    /**
     * @param setting {@code auto}, {@code os} or an IPv4 literal (validated already)
     * @param upstream the upstream's address, or {@code null} when only a host name is known
     * @throws IllegalStateException when a configured source address cannot be used
     */
    static Decision decide(String setting, InetAddress upstream)
    {
        List<String> warnings = new ArrayList<>();
        if (upstream != null && !(IpLiterals.normalize(upstream) instanceof Inet4Address))
            warnings.add("the hop to Plex (" + upstream.getHostAddress() + ") is IPv6: Plex ignores X-Forwarded-For from an IPv6 peer, so every client will look like the proxy; point gatehouse.upstream at the server's IPv4 address");
        InetAddress bind = null;
        InetAddress source;
        if (!PlexDirectConfig.SOURCE_AUTO.equals(setting) && !PlexDirectConfig.SOURCE_OS.equals(setting))
        {
            bind = IpLiterals.parse(setting);
            requireBindable(bind, setting);
            if (upstream != null && !(IpLiterals.normalize(upstream) instanceof Inet4Address))
                throw new IllegalStateException("gatehouse.plex-direct.source-address=" + setting + " is IPv4 but the upstream " + upstream.getHostAddress() + " is IPv6; use the server's IPv4 address in gatehouse.upstream");
            source = bind;
        }
        else
        {
            source = upstream == null ? null : kernelChoice(upstream);
            if (PlexDirectConfig.SOURCE_AUTO.equals(setting) && source != null && upstream instanceof Inet4Address
                && !isRfc1918(source) && !source.isLoopbackAddress() && isRfc1918(upstream))
            {
                InetAddress sameNetwork = rfc1918AddressOnNetworkOf(upstream);
                if (sameNetwork != null)
                {
                    bind = sameNetwork;
                    source = sameNetwork;
                }
            }
        }
        if (source != null && source instanceof Inet4Address && !isRfc1918(source) && !source.isLoopbackAddress())
            warnings.add("connections to Plex would come from " + source.getHostAddress() + ", which is not an RFC1918 address (10/8, 172.16/12, 192.168/16): Plex then ignores X-Forwarded-For and sees every client as the proxy; set gatehouse.plex-direct.source-address to this machine's private address on Plex's network");
        return new Decision(bind, source, List.copyOf(warnings));
    }

    private static void requireBindable(InetAddress address, String setting)
    {
        try (Socket socket = new Socket())
        {
            socket.bind(new InetSocketAddress(address, 0));
        }
        catch (IOException e)
        {
            throw new IllegalStateException("gatehouse.plex-direct.source-address=" + setting + " is not an address of this machine (" + e.getMessage() + "); use one of its own IPv4 addresses, or auto");
        }
    }

    /**
     * @return the source address the kernel's routing table picks for the upstream (a UDP
     * "connect" sends nothing), or {@code null} when it cannot tell
     */
    static InetAddress kernelChoice(InetAddress upstream)
    {
        try (DatagramSocket socket = new DatagramSocket())
        {
            socket.connect(new InetSocketAddress(upstream, 9));
            InetAddress local = socket.getLocalAddress();
            return local == null || local.isAnyLocalAddress() ? null : local;
        }
        catch (IOException | RuntimeException e)
        {
            return null;
        }
    }

    private static InetAddress rfc1918AddressOnNetworkOf(InetAddress upstream)
    {
        try
        {
            for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces()))
            {
                if (!network.isUp())
                    continue;
                for (InterfaceAddress candidate : network.getInterfaceAddresses())
                {
                    InetAddress address = candidate.getAddress();
                    if (address instanceof Inet4Address && isRfc1918(address) && sameNetwork(address, upstream, candidate.getNetworkPrefixLength()))
                        return address;
                }
            }
        }
        catch (SocketException e)
        {
            return null;
        }
        return null;
    }

    private static boolean sameNetwork(InetAddress a, InetAddress b, int prefix)
    {
        byte[] x = a.getAddress();
        byte[] y = b.getAddress();
        if (x.length != y.length || prefix <= 0 || prefix > x.length * 8)
            return false;
        for (int bit = 0; bit < prefix; bit++)
        {
            int mask = 0x80 >> (bit % 8);
            if ((x[bit / 8] & mask) != (y[bit / 8] & mask))
                return false;
        }
        return true;
    }
}
