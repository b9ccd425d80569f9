package dev.gatehouse.plugin.plexdirect;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Reads the certificate a server presents at an address: one TLS handshake, the chain verified
 * against the given trust (the route's own, so the probe trusts exactly what requests trust) but
 * without hostname verification, because the point is to learn the name. Blocking, with a time
 * limit: run it at start or on a pool thread, never on a selector.
 */
final class CertificateProbe
{
    private static final Pattern WILDCARD = Pattern.compile("\\*\\.([0-9a-f]{32})\\.plex\\.direct");

    private CertificateProbe()
    {
    }

    /**
     * @param trust the SSL context of the route's client (its trust managers)
     * @param bind the source address, or {@code null}
     * @return the server's leaf certificate, its chain verified
     * @throws javax.net.ssl.SSLHandshakeException when the chain is not trusted
     * @throws IOException when the server cannot be reached in time
     */
    static X509Certificate fetch(SSLContext trust, String[] protocols, InetSocketAddress server, InetAddress bind, Duration timeout) throws IOException
    {
        int millis = (int)Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        Socket plain = new Socket();
        try
        {
            if (bind != null)
                plain.bind(new InetSocketAddress(bind, 0));
            plain.connect(server, millis);
            plain.setSoTimeout(millis);
            // An IP literal as peer host: no SNI is sent, and Plex answers with its only certificate.
            try (SSLSocket tls = (SSLSocket)trust.getSocketFactory().createSocket(plain, server.getAddress().getHostAddress(), server.getPort(), true))
            {
                SSLParameters parameters = tls.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm(null);
                if (protocols != null && protocols.length > 0)
                    parameters.setProtocols(protocols);
                tls.setSSLParameters(parameters);
                tls.startHandshake();
                Certificate[] chain = tls.getSession().getPeerCertificates();
                if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf))
                    throw new IOException("the server presented no X.509 certificate");
                return leaf;
            }
        }
        finally
        {
            plain.close();
        }
    }

    /**
     * @return the hashes of the {@code *.<hash>.plex.direct} names among the certificate's subject
     * alternative names, in order
     */
    static List<String> plexDirectHashes(X509Certificate certificate)
    {
        List<String> hashes = new ArrayList<>();
        for (String name : dnsNames(certificate))
        {
            Matcher matcher = WILDCARD.matcher(name.toLowerCase(Locale.ROOT));
            if (matcher.matches() && !hashes.contains(matcher.group(1)))
                hashes.add(matcher.group(1));
        }
        return hashes;
    }

    static List<String> dnsNames(X509Certificate certificate)
    {
        List<String> names = new ArrayList<>();
        try
        {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null)
            {
                for (List<?> alternative : alternatives)
                {
                    // Type 2 is dNSName (RFC 5280 4.2.1.6).
                    if (alternative.size() >= 2 && Integer.valueOf(2).equals(alternative.get(0)) && alternative.get(1) instanceof String name)
                        names.add(name);
                }
            }
        }
        catch (CertificateParsingException e)
        {
            // No usable names: reported as "not a plex.direct certificate".
        }
        return names;
    }

    /**
     * @return a short description for messages: subject, names and issuer
     */
    static String describe(X509Certificate certificate)
    {
        List<String> names = dnsNames(certificate);
        return "subject '" + Redact.text(certificate.getSubjectX500Principal().getName()) + "', names " + (names.isEmpty() ? "(none)" : Redact.text(String.join(", ", names))) +
            ", issuer '" + Redact.text(certificate.getIssuerX500Principal().getName()) + "', valid until " + certificate.getNotAfter().toInstant();
    }
}
