package dev.gatehouse.plugin.forwarded;

import java.net.InetAddress;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

/**
 * The outbound half's text: {@code X-Forwarded-For}, {@code X-Real-IP} and RFC 7239
 * {@code Forwarded}, written from addresses we parsed ourselves, never from client bytes.
 */
final class UpstreamHeaders
{
    private UpstreamHeaders()
    {
    }

    /**
     * Sets the headers. The core already deleted every incoming forwarding header and wrote
     * X-Forwarded-Proto/Host/Port from the customized request; these replace its X-Forwarded-For
     * and X-Real-IP and add Forwarded.
     *
     * @param chain the verified chain, client first, peer last
     * @param scheme the request's (resolved) scheme
     * @param authority the public {@code host[:port]}, or {@code null} when unknown
     */
    static void apply(HttpFields.Mutable headers, InetAddress[] chain, boolean fullChain, boolean forwarded, String scheme, String authority)
    {
        headers.put(new HttpField("X-Forwarded-For", xForwardedFor(chain, fullChain)));
        headers.put(new HttpField("X-Real-IP", Addresses.format(chain[0])));
        if (forwarded)
            headers.put(new HttpField("Forwarded", forwarded(chain, fullChain, scheme, authority)));
    }

    static String xForwardedFor(InetAddress[] chain, boolean fullChain)
    {
        if (!fullChain || chain.length == 1)
            return Addresses.format(chain[0]);
        StringBuilder text = new StringBuilder();
        for (InetAddress hop : chain)
            text.append(text.isEmpty() ? "" : ", ").append(Addresses.format(hop));
        return text.toString();
    }

    /**
     * {@code for=192.0.2.1;host=example.com;proto=https} or, for the full chain, one element per
     * hop. IPv6 nodes are bracketed and quoted ({@code for="[2001:db8::1]"}) as RFC 7239 section 6
     * requires; a host with a port or an IPv6 literal is quoted; no host parameter when the host
     * is unknown (never {@code host=null}).
     */
    static String forwarded(InetAddress[] chain, boolean fullChain, String scheme, String authority)
    {
        StringBuilder text = new StringBuilder();
        text.append("for=").append(node(chain[0]));
        if (authority != null && isSafeAuthority(authority))
            text.append(";host=").append(tokenOrQuoted(authority));
        if ("http".equals(scheme) || "https".equals(scheme))
            text.append(";proto=").append(scheme);
        if (fullChain)
        {
            for (int i = 1; i < chain.length; i++)
                text.append(", for=").append(node(chain[i]));
        }
        return text.toString();
    }

    private static String node(InetAddress address)
    {
        String text = Addresses.format(address);
        return text.indexOf(':') >= 0 ? "\"[" + text + "]\"" : text;
    }

    /**
     * Only what a valid authority can hold: never pass on bytes that could break the field.
     */
    private static boolean isSafeAuthority(String authority)
    {
        if (authority.isEmpty() || authority.length() > 300)
            return false;
        for (int i = 0; i < authority.length(); i++)
        {
            char c = authority.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == ':' || c == '[' || c == ']';
            if (!ok)
                return false;
        }
        return true;
    }

    private static String tokenOrQuoted(String value)
    {
        for (int i = 0; i < value.length(); i++)
        {
            if (!ForwardedElement.isTokenChar(value.charAt(i)))
                return "\"" + value + "\"";
        }
        return value;
    }
}
