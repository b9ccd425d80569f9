package dev.gatehouse.core.tls;

import javax.net.ssl.SSLParameters;

/**
 * TLS parameters with the named-groups property that {@link SSLParameters} has from Java 20.
 * Conscrypt copies it by reflection, looking the methods up on the parameters' class at every
 * call, and on an older JDK each look-up fails with an exception and its stack trace; on these
 * parameters it succeeds. {@code null} named groups, as here by default, keep Conscrypt's own
 * default, which is what it used when the look-up failed. Public: Conscrypt, in another
 * package, may call these methods by reflection only on a public class.
 */
public final class NamedGroupsParameters extends SSLParameters
{
    /** Whether this JDK's parameters lack the property, and so Conscrypt's look-up throws. */
    static final boolean NEEDED = Runtime.version().feature() < 20;

    private String[] namedGroups;

    /** Conscrypt's {@code setSSLParameters} reads this by reflection. */
    public String[] getNamedGroups()
    {
        return namedGroups == null ? null : namedGroups.clone();
    }

    /** Conscrypt's {@code getSSLParameters} writes this by reflection. */
    public void setNamedGroups(String[] namedGroups)
    {
        this.namedGroups = namedGroups == null ? null : namedGroups.clone();
    }
}
