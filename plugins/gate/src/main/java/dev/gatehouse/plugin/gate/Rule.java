package dev.gatehouse.plugin.gate;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.gatehouse.spi.Cidr;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.SslConnectionFactory;

/**
 * One line of the rules file: conditions on the request (all given ones must hold; within one,
 * any value may) and an action. See {@link RulesFile} for the syntax.
 */
record Rule(int line, Action action, List<String> hosts, List<String> paths, Set<String> methods, Set<String> connectors,
            List<Cidr> networks, Set<String> emails, Set<String> emailDomains, Set<String> groups, Set<String> commonNames)
{
    static final String TUNNEL_CONNECTOR = "gatehouse-tunnel";

    enum Action
    {
        /** A valid token is required; the identity conditions, if any, must hold (else 403). */
        ALLOW,
        /** Admitted without a token (counted, logged at debug). */
        BYPASS,
        /** 403. */
        DENY,
        /** Admitted when the request carries an X-Plex-Token the upstream accepts; otherwise the next rule. */
        PLEX_TOKEN,
        /** Admitted when the client's network was remembered after a browser login; otherwise the next rule. */
        REMEMBERED
    }

    boolean hasIdentityConditions()
    {
        return !emails.isEmpty() || !emailDomains.isEmpty() || !groups.isEmpty() || !commonNames.isEmpty();
    }

    /**
     * @param host the request's host, lower case, without port
     * @param path the canonical (decoded, normalised) path, lower case
     * @param peer the TCP peer's address (never a forwarded one)
     */
    boolean matches(String host, String path, String method, Connector connector, InetAddress peer)
    {
        if (!hosts.isEmpty() && hosts.stream().noneMatch(pattern -> hostMatches(pattern, host)))
            return false;
        if (!paths.isEmpty() && paths.stream().noneMatch(pattern -> pathMatches(pattern, path)))
            return false;
        if (!methods.isEmpty() && !methods.contains(method))
            return false;
        if (!connectors.isEmpty() && connectors.stream().noneMatch(wanted -> connectorMatches(wanted, connector)))
            return false;
        return networks.isEmpty() || (peer != null && networks.stream().anyMatch(network -> network.contains(peer)));
    }

    boolean admits(Identity identity)
    {
        if (!hasIdentityConditions())
            return true;
        String email = identity.email() == null ? null : identity.email().toLowerCase(Locale.ROOT);
        if (email != null && emails.contains(email))
            return true;
        if (email != null)
        {
            int at = email.lastIndexOf('@');
            if (at > 0 && emailDomains.contains(email.substring(at + 1)))
                return true;
        }
        if (identity.groups().stream().anyMatch(groups::contains))
            return true;
        return identity.commonName() != null && commonNames.contains(identity.commonName());
    }

    static boolean hostMatches(String pattern, String host)
    {
        if (host == null)
            return false;
        if (pattern.startsWith("*."))
            return host.endsWith(pattern.substring(1)) && host.length() > pattern.length() - 1;
        return pattern.equals(host);
    }

    /**
     * {@code *} is every path; {@code /a/*} is {@code /a} and everything below it; anything else
     * is exact. Both sides are lower case: a rule cannot be dodged by changing case on an upstream
     * that ignores it.
     */
    static boolean pathMatches(String pattern, String path)
    {
        if (pattern.equals("*"))
            return true;
        if (pattern.endsWith("/*"))
        {
            String prefix = pattern.substring(0, pattern.length() - 2);
            return path.equals(prefix) || path.startsWith(prefix + "/");
        }
        return pattern.equals(path);
    }

    /**
     * {@code tunnel} is Gatehouse's loopback tunnel listener; {@code https} any TLS listener (Jetty's
     * https connector has no name); anything else is a connector name.
     */
    static boolean connectorMatches(String wanted, Connector connector)
    {
        if (connector == null)
            return false;
        String name = connector.getName();
        return switch (wanted)
        {
            case "tunnel" -> TUNNEL_CONNECTOR.equals(name);
            case "https" -> !TUNNEL_CONNECTOR.equals(name) && connector.getConnectionFactory(SslConnectionFactory.class) != null;
            default -> wanted.equals(name);
        };
    }

    String describe()
    {
        return "line " + line + " (" + action.name().toLowerCase(Locale.ROOT).replace('_', '-') + ")";
    }
}
