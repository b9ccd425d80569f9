package dev.gatehouse.plugin.gate;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The identity headers: every incoming one is deleted, in any spelling (case, {@code _} and
 * {@code .} for {@code -}: PHP, WSGI and some frameworks merge them, see the Traefik advisories
 * in research/gate.md 3.3), and the gate sets its own only from verified claims.
 */
final class IdentityHeaders
{
    static final String ASSERTION = "Cf-Access-Jwt-Assertion";
    static final String COOKIE = "CF_Authorization";

    /** Canonical names (lower case, {@code -} for {@code _} and {@code .}) deleted from every request. */
    private static final Set<String> PROTECTED = Set.of(
        "cf-access-jwt-assertion", "cf-access-authenticated-user-email", "cf-access-client-id", "cf-access-client-secret",
        "x-forwarded-user", "x-forwarded-email", "x-forwarded-groups", "x-forwarded-preferred-username", "x-forwarded-access-token",
        "remote-user", "remote-email", "remote-groups", "remote-name", "x-remote-user", "x-remote-email", "x-remote-group", "x-remote-groups",
        "x-webauth-user", "x-webauth-email", "x-webauth-groups", "x-authenticated-user", "x-authenticated-email", "x-authenticated-groups",
        "x-user", "x-email", "x-username", "x-user-email", "x-auth-user", "x-auth-email",
        // Routing claims that auth middlewares and some upstreams believe (oauth2-proxy GHSA-7x63-xv5r-3p2x).
        "x-forwarded-uri", "x-original-uri", "x-original-url", "x-rewrite-url", "x-original-method", "x-forwarded-method");
    private static final List<String> PROTECTED_PREFIXES = List.of("x-auth-request-", "x-pomerium-", "x-authentik-", "x-gatehouse-", "cf-access-");

    private IdentityHeaders()
    {
    }

    static String canonical(String name)
    {
        return name.toLowerCase(Locale.ROOT).replace('_', '-').replace('.', '-');
    }

    static boolean isProtected(String name)
    {
        String canonical = canonical(name);
        if (PROTECTED.contains(canonical))
            return true;
        for (String prefix : PROTECTED_PREFIXES)
        {
            if (canonical.startsWith(prefix))
                return true;
        }
        return false;
    }

    /**
     * Deletes every protected header, removes the token (unless it is forwarded and was the one
     * verified), then sets the identity headers from the verified identity, if any.
     *
     * @param identity the verified identity, or null (bypass, Plex token, remembered network)
     * @param verifiedAssertion the header token that was verified, to forward; or null
     */
    static void rewrite(HttpFields.Mutable headers, Identity identity, boolean setIdentity, boolean forwardToken, String verifiedAssertion)
    {
        for (var fields = headers.listIterator(); fields.hasNext(); )
        {
            HttpField field = fields.next();
            if (isProtected(field.getName()))
                fields.remove();
        }
        if (!forwardToken)
            removeTokenCookie(headers);
        else if (verifiedAssertion != null)
            headers.put(ASSERTION, verifiedAssertion);
        if (identity == null || !setIdentity)
            return;
        String email = clean(identity.email());
        String user = clean(identity.user());
        if (email != null)
        {
            headers.put("Cf-Access-Authenticated-User-Email", email);
            headers.put("X-Forwarded-Email", email);
        }
        if (user != null)
        {
            headers.put("X-Forwarded-User", user);
            headers.put("Remote-User", user);
        }
        List<String> groups = identity.groups().stream().map(IdentityHeaders::clean).filter(group -> group != null && !group.contains(",")).toList();
        if (!groups.isEmpty())
            headers.put("X-Forwarded-Groups", String.join(",", groups));
    }

    /**
     * @return the value if it is printable ASCII or Latin-1 without controls, else null
     */
    private static String clean(String value)
    {
        if (value == null || value.isEmpty() || value.length() > 512)
            return null;
        for (int i = 0; i < value.length(); i++)
        {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f || c > 0xff)
                return null;
        }
        return value;
    }

    /**
     * Removes the CF_Authorization cookie from every Cookie header, keeping the others.
     */
    static void removeTokenCookie(HttpFields.Mutable headers)
    {
        List<String> cookies = headers.getValuesList(HttpHeader.COOKIE);
        if (cookies.isEmpty())
            return;
        headers.remove(HttpHeader.COOKIE);
        for (String cookie : cookies)
        {
            StringBuilder kept = new StringBuilder();
            for (String pair : cookie.split(";"))
            {
                String trimmed = pair.strip();
                int equals = trimmed.indexOf('=');
                String name = equals < 0 ? trimmed : trimmed.substring(0, equals).strip();
                if (trimmed.isEmpty() || name.equalsIgnoreCase(COOKIE))
                    continue;
                if (kept.length() > 0)
                    kept.append("; ");
                kept.append(trimmed);
            }
            if (kept.length() > 0)
                headers.add(HttpHeader.COOKIE, kept.toString());
        }
    }
}
