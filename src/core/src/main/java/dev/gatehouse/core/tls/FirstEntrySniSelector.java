package dev.gatehouse.core.tls;

import java.security.Principal;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;

import javax.net.ssl.SSLSession;

import org.eclipse.jetty.util.ssl.SniX509ExtendedKeyManager;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.ssl.X509;

/**
 * Picks the certificate for a handshake among the entries of {@code gatehouse.tls.certificates}
 * (aliases {@code gatehouse-1}, {@code gatehouse-2}, ... in configured order).
 *
 * <ul>
 *   <li>SNI names a host some certificate covers: that certificate, an exact name before a
 *   wildcard, then the first listed.</li>
 *   <li>No SNI (clients connecting by IP address), or a name no certificate covers: the first
 *   entry, so the answer is the same on every start. Jetty's own selector leaves this to the JDK's
 *   key manager, whose choice among several entries depends on hash order.</li>
 * </ul>
 *
 * <p>The JDK asks once per key type the client accepts (EC, RSA, ...) and offers only the entries of
 * that type; "first" is therefore the first entry of a type the client accepts. With
 * {@code jetty.sslContext.sniRequired=true}, handshakes without a matching SNI are refused.</p>
 */
public final class FirstEntrySniSelector implements SniX509ExtendedKeyManager.SniSelector
{
    private final SslContextFactory.Server factory;

    public FirstEntrySniSelector(SslContextFactory.Server factory)
    {
        this.factory = factory;
    }

    @Override
    public String sniSelect(String keyType, Principal[] issuers, SSLSession session, String sniHost, Collection<X509> certificates)
    {
        if (sniHost != null)
        {
            String host = sniHost.toLowerCase(Locale.ROOT);
            Optional<X509> match = certificates.stream()
                .filter(x509 -> x509.matches(host))
                .min(Comparator.comparing((X509 x509) -> !x509.getHosts().contains(host)).thenComparingInt(x509 -> order(x509.getAlias())));
            if (match.isPresent())
                return match.get().getAlias();
            // A certificate of another key type covers the name: let the JDK ask for that type.
            boolean coveredByAnotherType = factory.getAliases().stream()
                .map(factory::getX509)
                .anyMatch(x509 -> x509 != null && x509.matches(host));
            if (coveredByAnotherType)
                return null;
        }
        if (factory.isSniRequired())
            return null;
        return certificates.stream()
            .min(Comparator.comparingInt(x509 -> order(x509.getAlias())))
            .map(X509::getAlias)
            .orElse(null);
    }

    /**
     * @return the position of an entry from its alias; other aliases sort last
     */
    static int order(String alias)
    {
        if (alias != null && alias.startsWith(ServerCertificates.ALIAS_PREFIX))
        {
            try
            {
                return Integer.parseInt(alias.substring(ServerCertificates.ALIAS_PREFIX.length()));
            }
            catch (NumberFormatException ignored)
            {
                // not one of ours
            }
        }
        return Integer.MAX_VALUE;
    }
}
