package dev.gatehouse.core.proxy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

import dev.gatehouse.spi.IpLiterals;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.Request;

/**
 * The forwarded headers the upstream receives, rebuilt from what the proxy knows rather than
 * passed on from the client, which could have written anything in them.
 *
 * <p>Every incoming header that claims a client address, scheme or host is deleted first, in any
 * spelling (servers such as PHP and some frameworks read {@code X_Forwarded_For} and
 * {@code X.Forwarded.For} as the same variable). Then the proxy sets {@code X-Forwarded-For} and
 * {@code X-Real-IP} to the client address Jetty resolved (the socket peer, or the real client when
 * a client-identity plugin resolved one from trusted proxies), {@code X-Forwarded-Proto},
 * {@code X-Forwarded-Host} (the public host: {@code Host} itself carries the upstream's own name)
 * and {@code X-Forwarded-Port}.</p>
 */
public final class ForwardedHeaders
{
    /**
     * Header names, lower case with {@code -} for {@code _} and {@code .}, that the proxy removes.
     */
    private static final Set<String> CLIENT_CLAIMS = Set.of(
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-forwarded-port",
        "x-forwarded-prefix",
        "x-forwarded-server",
        "x-forwarded-ssl",
        "x-forwarded-scheme",
        "x-forwarded-protocol",
        "x-url-scheme",
        "front-end-https",
        "x-real-ip",
        "x-client-ip",
        "x-cluster-client-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "cf-connecting-ipv6",
        "fastly-client-ip",
        "x-original-forwarded-for",
        "x-proxyuser-ip"
    );

    /**
     * The claims among the headers Jetty knows by name. A field Jetty recognised (most of a
     * request's) is checked here without building its canonical name: such a field's name is the
     * header's own, in some case, so its canonical form is the header's lower-case name.
     */
    private static final Set<HttpHeader> KNOWN_CLAIMS = knownClaims();

    private ForwardedHeaders()
    {
    }

    private static Set<HttpHeader> knownClaims()
    {
        Set<HttpHeader> claims = EnumSet.noneOf(HttpHeader.class);
        for (HttpHeader header : HttpHeader.values())
        {
            if (isClientClaim(header.asString()))
                claims.add(header);
        }
        return claims;
    }

    /**
     * @return whether the header claims something about the client and must not pass through
     */
    public static boolean isClientClaim(String name)
    {
        return CLIENT_CLAIMS.contains(canonical(name));
    }

    static boolean isClientClaim(HttpField field)
    {
        HttpHeader header = field.getHeader();
        if (header != null && header.is(field.getName()))
            return KNOWN_CLAIMS.contains(header);
        return isClientClaim(field.getName());
    }

    /**
     * @return the name in lower case with {@code _} and {@code .} written as {@code -}
     */
    public static String canonical(String name)
    {
        return name.toLowerCase(Locale.ROOT).replace('_', '-').replace('.', '-');
    }

    /**
     * Removes every client claim from the outgoing headers and sets the proxy's own.
     */
    public static void rebuild(Request clientToProxyRequest, HttpFields.Mutable outgoing)
    {
        for (var fields = outgoing.listIterator(); fields.hasNext(); )
        {
            if (isClientClaim(fields.next()))
                fields.remove();
        }
        // Every field added below is a claim, removed above: added, not put, so that each does
        // not walk the headers again to replace what cannot be there.
        String client = clientAddress(clientToProxyRequest);
        String scheme = clientToProxyRequest.getHttpURI().getScheme();
        if (scheme == null)
            scheme = clientToProxyRequest.isSecure() ? "https" : "http";
        outgoing.add(new HttpField(HttpHeader.X_FORWARDED_FOR, client));
        outgoing.add(new HttpField("X-Real-IP", client));
        outgoing.add(new HttpField(HttpHeader.X_FORWARDED_PROTO, scheme));
        String host = Request.getServerName(clientToProxyRequest);
        int port = Request.getServerPort(clientToProxyRequest);
        if (host != null && !host.isEmpty())
        {
            boolean defaultPort = port <= 0 || ("https".equals(scheme) && port == 443) || ("http".equals(scheme) && port == 80);
            outgoing.add(new HttpField(HttpHeader.X_FORWARDED_HOST, defaultPort ? host : host + ":" + port));
        }
        if (port > 0)
            outgoing.add(new HttpField(HttpHeader.X_FORWARDED_PORT, Integer.toString(port)));
    }

    /**
     * @return the client address as X-Forwarded-For and X-Real-IP carry it: dotted IPv4 (also for
     * IPv4-mapped IPv6), IPv6 in RFC 5952 form without brackets or zone. Jetty's
     * {@code Request.getRemoteAddr} would give {@code [0:0:0:0:0:0:0:1]}, which XFF readers
     * (Plex, nginx realip without brackets, Envoy) do not take as an address.
     */
    static String clientAddress(Request request)
    {
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        if (remote instanceof InetSocketAddress inet && !inet.isUnresolved() && inet.getAddress() != null)
            return formatAddress(inet.getAddress());
        String text = Request.getRemoteAddr(request);
        if (text != null && text.length() > 1 && text.charAt(0) == '[' && text.charAt(text.length() - 1) == ']')
            text = text.substring(1, text.length() - 1);
        return text;
    }

    static String formatAddress(InetAddress address)
    {
        return IpLiterals.format(address);
    }
}
