package dev.gatehouse.plugin.forwarded;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.ListIterator;
import java.util.Locale;

import dev.gatehouse.spi.IpLiterals;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Works out the real client of a request from the TCP peer and the forwarding headers, believing
 * a header only as far as a chain of trusted proxies vouches for it. A pure function of
 * (peer, headers, settings): no I/O, no DNS, no regular expressions; it allocates a few small
 * objects per hop walked and nothing at all for a peer that is not trusted.
 *
 * <p>The rules, after Apache mod_remoteip, nginx realip ({@code real_ip_recursive on}) and
 * Tomcat's RemoteIpValve:</p>
 * <ol>
 *   <li>If the peer is neither an internal nor a trusted proxy (nor a Cloudflare hop of
 *       {@code cf-connecting-ip-from}), the client is the peer and no header is read.</li>
 *   <li>The chain is walked right to left, over every field line of the header in order, from the
 *       peer: each address is presented by the hop to its right. An address that is itself an
 *       internal or trusted proxy lets the walk go on; the first one that is not is the client.
 *       If every address is a proxy, the left-most one is the client.</li>
 *   <li>An <em>internal</em> proxy may present any address; a <em>trusted</em> (external) one only
 *       a public one. Once the walk crossed a trusted proxy it never again accepts a private
 *       address, even from a proxy on the internal list: a CDN cannot inject a LAN address.</li>
 *   <li>A malformed entry (not a strict IP literal, a zone id, {@code unknown}, an obfuscated
 *       {@code _node}, the unspecified, multicast or broadcast address), a refused private
 *       address, or reaching {@code max-hops} stops the walk: the last address accepted (a
 *       proxy's, or the peer's) is the client. Never an error for the request.</li>
 *   <li>Scheme, host and port are read only when the peer is trusted: from the {@code Forwarded}
 *       element the walk ended at, or from {@code X-Forwarded-Proto} (every element must be
 *       {@code https} for https, Tomcat's rule), {@code X-Forwarded-Host} and
 *       {@code X-Forwarded-Port} (exactly one value each). Invalid values are ignored.</li>
 * </ol>
 */
final class ClientResolver
{
    private static final String CF_CONNECTING_IP = "CF-Connecting-IP";
    private static final String CF_CONNECTING_IPV6 = "CF-Connecting-IPv6";
    private static final String X_REAL_IP = "X-Real-IP";
    private static final int MAX_HOST_LENGTH = 253;

    /**
     * @param internal proxies that may present any client address
     * @param trusted proxies that may present public client addresses only
     * @param cloudflareHops peers whose {@code CF-Connecting-IP} is believed; they count as trusted proxies
     */
    record Settings(AddressSet internal, AddressSet trusted, AddressSet cloudflareHops, HeaderSource header,
                    boolean acceptProto, boolean acceptHost, boolean acceptPort, int maxHops)
    {
        boolean trustsNobody()
        {
            return internal.isEmpty() && trusted.isEmpty() && cloudflareHops.isEmpty();
        }
    }

    private enum Role
    {
        NONE, TRUSTED, INTERNAL
    }

    private final Settings settings;

    ClientResolver(Settings settings)
    {
        this.settings = settings;
    }

    /**
     * @param peerAddress the TCP peer
     * @param peerPort the TCP peer's port
     * @param headers the request headers
     * @return the resolution, or {@code null} when the peer is not trusted and the request stays as it is
     */
    Resolution resolve(InetAddress peerAddress, int peerPort, HttpFields headers)
    {
        if (settings.trustsNobody())
            return null;
        InetAddress peer = Addresses.peer(peerAddress);
        byte[] peerBytes = peer.getAddress();
        boolean cloudflareHop = settings.cloudflareHops.contains(peerBytes);
        Role peerRole = role(peerBytes, true);
        if (peerRole == Role.NONE && cloudflareHop)
            peerRole = Role.TRUSTED;
        if (peerRole == Role.NONE)
            return null;

        Walk walk = null;
        if (cloudflareHop)
            walk = cloudflare(peer, peerBytes, peerRole, headers);
        String[] schemeHostPort = null;
        if (walk == null)
        {
            switch (settings.header)
            {
                case X_FORWARDED_FOR -> walk = walkXForwardedFor(peer, peerBytes, peerRole, headers);
                case FORWARDED -> walk = walkForwarded(peer, peerBytes, peerRole, headers);
                case X_REAL_IP -> walk = walkRealIp(peer, peerBytes, peerRole, headers);
                case AUTO ->
                {
                    boolean hasXff = headers.contains(HttpHeader.X_FORWARDED_FOR);
                    boolean hasForwarded = headers.contains(HttpHeader.FORWARDED);
                    if (hasForwarded)
                        walk = walkForwarded(peer, peerBytes, peerRole, headers);
                    if (hasXff)
                    {
                        Walk xff = walkXForwardedFor(peer, peerBytes, peerRole, headers);
                        if (walk == null)
                            walk = xff;
                        else if (!walk.current.equals(xff.current))
                            walk = new Walk(peer, peerBytes, peerRole, "conflicting Forwarded and X-Forwarded-For");
                    }
                    if (walk == null)
                        walk = new Walk(peer, peerBytes, peerRole, "none");
                }
            }
        }

        String scheme = null;
        String host = null;
        int port = -1;
        if (walk.edge != null)
        {
            // Forwarded: the element the walk ended at was written by a trusted hop and describes
            // the request the client made.
            if (settings.acceptProto)
                scheme = scheme(walk.edge.proto);
            if (settings.acceptHost && walk.edge.host != null)
            {
                HostPort hostPort = HostPort.parse(walk.edge.host);
                if (hostPort != null)
                {
                    host = hostPort.host;
                    port = hostPort.port;
                }
            }
        }
        else if (walk.readXForwardedHeaders)
        {
            if (settings.acceptProto)
                scheme = forwardedProto(headers);
            if (settings.acceptHost)
            {
                HostPort hostPort = HostPort.parse(singleValue(headers, HttpHeader.X_FORWARDED_HOST.asString()));
                if (hostPort != null)
                {
                    host = hostPort.host;
                    port = hostPort.port;
                }
            }
            if (settings.acceptPort)
            {
                int forwardedPort = HostPort.parsePort(singleValue(headers, HttpHeader.X_FORWARDED_PORT.asString()));
                if (forwardedPort > 0)
                    port = forwardedPort;
            }
        }
        return new Resolution(walk.current, walk.clientPort, walk.chain(), scheme, host, port, walk.source);
    }

    private Role role(byte[] address, boolean internalPhase)
    {
        if (internalPhase && settings.internal.contains(address))
            return Role.INTERNAL;
        if (settings.trusted.contains(address))
            return Role.TRUSTED;
        return Role.NONE;
    }

    /**
     * Cloudflare's edge writes {@code CF-Connecting-IP} (and {@code CF-Connecting-IPv6} with
     * pseudo-IPv4) itself, replacing whatever the client sent. One line with one public address,
     * otherwise the header is ignored and the configured walk decides.
     */
    private Walk cloudflare(InetAddress peer, byte[] peerBytes, Role peerRole, HttpFields headers)
    {
        for (String name : new String[]{CF_CONNECTING_IPV6, CF_CONNECTING_IP})
        {
            String value = singleValue(headers, name);
            if (value == null)
                continue;
            Walk walk = new Walk(peer, peerBytes, peerRole, name);
            // Cloudflare's clients are on the Internet: treat the hop as external whatever the lists say.
            walk.presenter = Role.TRUSTED;
            walk.offer(value, 0, value.length(), false);
            if (walk.chainLength > 1)
            {
                walk.readXForwardedHeaders = true;
                return walk;
            }
        }
        return null;
    }

    private Walk walkRealIp(InetAddress peer, byte[] peerBytes, Role peerRole, HttpFields headers)
    {
        Walk walk = new Walk(peer, peerBytes, peerRole, X_REAL_IP);
        walk.readXForwardedHeaders = true;
        String value = singleValue(headers, X_REAL_IP);
        if (value != null)
            walk.offer(value, 0, value.length(), false);
        return walk;
    }

    private Walk walkXForwardedFor(InetAddress peer, byte[] peerBytes, Role peerRole, HttpFields headers)
    {
        Walk walk = new Walk(peer, peerBytes, peerRole, "X-Forwarded-For");
        walk.readXForwardedHeaders = true;
        for (ListIterator<HttpField> fields = headers.listIterator(headers.size()); fields.hasPrevious() && walk.goingOn; )
        {
            HttpField field = fields.previous();
            if (field.getHeader() != HttpHeader.X_FORWARDED_FOR && !field.is(HttpHeader.X_FORWARDED_FOR.asString()))
                continue;
            String value = field.getValue();
            if (value == null)
                continue;
            int end = value.length();
            while (end >= 0 && walk.goingOn)
            {
                int comma = value.lastIndexOf(',', end - 1);
                int start = trimStart(value, comma + 1, end);
                int stop = trimEnd(value, start, end);
                // RFC 9110 5.6.1: empty list elements are ignored.
                if (start < stop)
                    walk.offer(value, start, stop, false);
                if (comma < 0)
                    break;
                end = comma;
            }
        }
        return walk;
    }

    private Walk walkForwarded(InetAddress peer, byte[] peerBytes, Role peerRole, HttpFields headers)
    {
        Walk walk = new Walk(peer, peerBytes, peerRole, "Forwarded");
        for (ListIterator<HttpField> fields = headers.listIterator(headers.size()); fields.hasPrevious() && walk.goingOn; )
        {
            HttpField field = fields.previous();
            if (field.getHeader() != HttpHeader.FORWARDED && !field.is(HttpHeader.FORWARDED.asString()))
                continue;
            String value = field.getValue();
            if (value == null)
                continue;
            int end = value.length();
            while (end > 0 && walk.goingOn)
            {
                // Right to left, so that the elements trusted hops appended are found even when
                // the client's part on the left is garbage (an unbalanced quote, say).
                boolean quoted = false;
                int i = end - 1;
                for (; i >= 0; i--)
                {
                    char c = value.charAt(i);
                    if (c == '"')
                    {
                        int backslashes = 0;
                        for (int j = i - 1; j >= 0 && value.charAt(j) == '\\'; j--)
                            backslashes++;
                        if (backslashes % 2 == 0)
                            quoted = !quoted;
                    }
                    else if (c == ',' && !quoted)
                    {
                        break;
                    }
                }
                int start = trimStart(value, i + 1, end);
                int stop = trimEnd(value, start, end);
                if (start < stop)
                {
                    ForwardedElement element = quoted ? ForwardedElement.MALFORMED : ForwardedElement.parse(value, start, stop);
                    if (element.malformed)
                    {
                        // The element to the right described a hop between proxies, not the
                        // client's request: no scheme or host from it.
                        walk.edge = null;
                        walk.stop();
                        break;
                    }
                    walk.edge = element;
                    if (element.forNode == null)
                    {
                        // No address, "unknown" or an obfuscated node: the chain ends here.
                        walk.stop();
                        break;
                    }
                    walk.offer(element.forNode, 0, element.forNode.length(), true);
                    if (walk.rejectedLast)
                    {
                        // The element's address was refused: its other parameters were still
                        // written by a trusted hop, but describe a hop we do not believe in.
                        walk.edge = null;
                    }
                }
                if (i < 0)
                    break;
                end = i;
            }
        }
        return walk;
    }

    static int trimStart(String value, int start, int end)
    {
        while (start < end && isWhitespace(value.charAt(start)))
            start++;
        return start;
    }

    static int trimEnd(String value, int start, int end)
    {
        while (end > start && isWhitespace(value.charAt(end - 1)))
            end--;
        return end;
    }

    private static boolean isWhitespace(char c)
    {
        return c == ' ' || c == '\t';
    }

    /**
     * @return the value of the one field line with this name when it holds exactly one element;
     * {@code null} when there is none, several lines or a list
     */
    static String singleValue(HttpFields headers, String name)
    {
        String found = null;
        for (HttpField field : headers)
        {
            if (!field.is(name))
                continue;
            if (found != null)
                return null;
            found = field.getValue() == null ? "" : field.getValue().trim();
        }
        if (found == null || found.isEmpty() || found.indexOf(',') >= 0)
            return null;
        return found;
    }

    /**
     * Tomcat's rule: https only if every element of every line says https (or wss); http if every
     * element is a known scheme; ignored when any element is not.
     */
    static String forwardedProto(HttpFields headers)
    {
        boolean seen = false;
        boolean allSecure = true;
        for (HttpField field : headers)
        {
            if (field.getHeader() != HttpHeader.X_FORWARDED_PROTO && !field.is(HttpHeader.X_FORWARDED_PROTO.asString()))
                continue;
            String value = field.getValue() == null ? "" : field.getValue();
            int start = 0;
            while (true)
            {
                int comma = value.indexOf(',', start);
                int end = comma < 0 ? value.length() : comma;
                int from = trimStart(value, start, end);
                String scheme = scheme(value.substring(from, trimEnd(value, from, end)));
                if (scheme == null)
                    return null;
                seen = true;
                allSecure &= scheme.equals("https");
                if (comma < 0)
                    break;
                start = comma + 1;
            }
        }
        if (!seen)
            return null;
        return allSecure ? "https" : "http";
    }

    /**
     * @return {@code http} or {@code https} for a known scheme (ws and wss count as their HTTP
     * counterparts: Traefik writes them), otherwise {@code null}
     */
    static String scheme(String text)
    {
        if (text == null)
            return null;
        return switch (text.toLowerCase(Locale.ROOT))
        {
            case "https", "wss" -> "https";
            case "http", "ws" -> "http";
            default -> null;
        };
    }

    /**
     * One walk's state: the current address and who presented it.
     */
    private final class Walk
    {
        final String source;
        InetAddress current;
        byte[] currentBytes;
        Role presenter;
        boolean internalPhase = true;
        boolean goingOn = true;
        boolean rejectedLast;
        boolean readXForwardedHeaders;
        int clientPort;
        ForwardedElement edge;
        InetAddress[] chainRightToLeft = new InetAddress[4];
        int chainLength;
        int offered;

        Walk(InetAddress peer, byte[] peerBytes, Role peerRole, String source)
        {
            this.source = source;
            this.current = peer;
            this.currentBytes = peerBytes;
            this.presenter = peerRole;
            this.internalPhase = peerRole == Role.INTERNAL;
            chainRightToLeft[chainLength++] = peer;
        }

        void stop()
        {
            goingOn = false;
        }

        /**
         * Offers the next address to the left, as presented by the current hop.
         *
         * @return whether the walk goes on (the accepted address is itself a proxy)
         */
        boolean offer(String text, int start, int end, boolean forwardedNode)
        {
            rejectedLast = false;
            if (!goingOn)
                return false;
            if (++offered > settings.maxHops)
                return reject();
            InetAddress address = parseNode(text, start, end, forwardedNode);
            if (address == null)
                return reject();
            byte[] bytes = address.getAddress();
            if (Addresses.isNeverAClient(bytes))
                return reject();
            if (presenter == Role.TRUSTED)
                internalPhase = false;
            if (!internalPhase && !Addresses.isPublic(bytes))
                return reject();
            current = address;
            currentBytes = bytes;
            clientPort = parsedPort;
            if (chainLength == chainRightToLeft.length)
                chainRightToLeft = Arrays.copyOf(chainRightToLeft, chainLength * 2);
            chainRightToLeft[chainLength++] = address;
            presenter = role(bytes, internalPhase);
            goingOn = presenter != Role.NONE;
            return goingOn;
        }

        private boolean reject()
        {
            rejectedLast = true;
            goingOn = false;
            return false;
        }

        InetAddress[] chain()
        {
            InetAddress[] chain = new InetAddress[chainLength];
            for (int i = 0; i < chainLength; i++)
                chain[i] = chainRightToLeft[chainLength - 1 - i];
            return chain;
        }

        private int parsedPort;

        /**
         * A node: {@code 192.0.2.1}, {@code 192.0.2.1:8080}, {@code 2001:db8::1} (not in
         * Forwarded, where IPv6 needs brackets), {@code [2001:db8::1]}, {@code [2001:db8::1]:8080};
         * in Forwarded also an obfuscated port {@code _abc}.
         *
         * @return the address, or {@code null} when the text is none of these
         */
        private InetAddress parseNode(String text, int start, int end, boolean forwardedNode)
        {
            parsedPort = 0;
            if (end - start > 64)
                return null;
            String host;
            int portStart = -1;
            if (text.charAt(start) == '[')
            {
                int close = text.indexOf(']', start);
                if (close < 0 || close >= end)
                    return null;
                host = text.substring(start + 1, close);
                if (host.indexOf(':') < 0)
                    return null;
                if (close + 1 < end)
                {
                    if (text.charAt(close + 1) != ':')
                        return null;
                    portStart = close + 2;
                }
            }
            else
            {
                int colon = text.indexOf(':', start);
                if (colon >= 0 && colon < end && text.lastIndexOf(':', end - 1) == colon)
                {
                    host = text.substring(start, colon);
                    portStart = colon + 1;
                }
                else if (colon >= 0 && colon < end)
                {
                    if (forwardedNode)
                        return null;
                    host = text.substring(start, end);
                }
                else
                {
                    host = text.substring(start, end);
                }
            }
            if (portStart >= 0)
            {
                if (forwardedNode && portStart < end && text.charAt(portStart) == '_')
                {
                    if (!ForwardedElement.isObfuscated(text, portStart, end))
                        return null;
                }
                else
                {
                    int port = HostPort.parsePort(text, portStart, end);
                    if (port <= 0)
                        return null;
                    parsedPort = port;
                }
            }
            return IpLiterals.parseOrNull(host);
        }
    }

    /**
     * A host and optional port, as in {@code Host}: a DNS name, an IPv4 literal or a bracketed
     * IPv6 literal. Anything else (an unbracketed IPv6 address, a user-info, spaces) is refused.
     */
    record HostPort(String host, int port)
    {
        static HostPort parse(String text)
        {
            if (text == null || text.isEmpty() || text.length() > MAX_HOST_LENGTH + 8)
                return null;
            String host;
            int port = -1;
            if (text.charAt(0) == '[')
            {
                int close = text.indexOf(']');
                if (close < 0)
                    return null;
                String literal = text.substring(1, close);
                if (literal.indexOf(':') < 0 || IpLiterals.parseOrNull(literal) == null)
                    return null;
                host = "[" + literal.toLowerCase(Locale.ROOT) + "]";
                if (close + 1 < text.length())
                {
                    if (text.charAt(close + 1) != ':')
                        return null;
                    port = parsePort(text, close + 2, text.length());
                    if (port <= 0)
                        return null;
                }
            }
            else
            {
                int colon = text.indexOf(':');
                int end = colon < 0 ? text.length() : colon;
                if (colon >= 0)
                {
                    port = parsePort(text, colon + 1, text.length());
                    if (port <= 0)
                        return null;
                }
                if (end == 0 || end > MAX_HOST_LENGTH)
                    return null;
                boolean digitsAndDots = true;
                for (int i = 0; i < end; i++)
                {
                    char c = text.charAt(i);
                    boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                    boolean digit = c >= '0' && c <= '9';
                    if (!letter && !digit && c != '-' && c != '.' && c != '_')
                        return null;
                    digitsAndDots &= digit || c == '.';
                }
                host = text.substring(0, end).toLowerCase(Locale.ROOT);
                if (host.charAt(0) == '.' || host.charAt(0) == '-' || host.contains(".."))
                    return null;
                if (digitsAndDots && IpLiterals.parseOrNull(host) == null)
                    return null;
            }
            return new HostPort(host, port);
        }

        static int parsePort(String text)
        {
            return text == null ? -1 : parsePort(text, 0, text.length());
        }

        /**
         * @return 1-65535, or -1 when the text is not such a decimal number (no sign, no leading zero)
         */
        static int parsePort(String text, int start, int end)
        {
            int length = end - start;
            if (length < 1 || length > 5 || text.charAt(start) == '0')
                return -1;
            int port = 0;
            for (int i = start; i < end; i++)
            {
                char c = text.charAt(i);
                if (c < '0' || c > '9')
                    return -1;
                port = port * 10 + (c - '0');
            }
            return port <= 65535 ? port : -1;
        }
    }
}
