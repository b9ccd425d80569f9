package dev.gatehouse.plugin.forwarded;

import java.net.InetAddress;

/**
 * What the resolver concluded for one request from a trusted peer.
 *
 * @param client the client address (normalised: IPv4-mapped as IPv4, no zone)
 * @param clientPort the client's port when a proxy reported one, else 0
 * @param chain the verified chain, client first and the peer last; entries left of the client
 * (which nobody trusted vouched for) are not in it
 * @param scheme {@code http} or {@code https} from a trusted proxy, or {@code null} to keep the connection's
 * @param host the public host name from a trusted proxy, or {@code null} to keep the request's
 * @param port the public port from a trusted proxy, or {@code -1} to keep (or imply) it
 * @param source which header the client came from, for logs
 */
record Resolution(InetAddress client, int clientPort, InetAddress[] chain, String scheme, String host, int port, String source)
{
    /**
     * The attribute under which the customized request exposes its resolution, for the upstream side.
     */
    static final String ATTRIBUTE = Resolution.class.getName();

    @Override
    public String toString()
    {
        StringBuilder text = new StringBuilder("client=").append(Addresses.format(client));
        if (clientPort > 0)
            text.append(" port=").append(clientPort);
        text.append(" via=").append(source).append(" chain=[");
        for (int i = 0; i < chain.length; i++)
            text.append(i == 0 ? "" : ", ").append(Addresses.format(chain[i]));
        text.append(']');
        if (scheme != null)
            text.append(" scheme=").append(scheme);
        if (host != null)
            text.append(" host=").append(host);
        if (port >= 0)
            text.append(" port=").append(port);
        return text.toString();
    }
}
