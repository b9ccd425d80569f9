package dev.gatehouse.plugin.securityheaders;

import java.util.Locale;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpTokens;
import org.eclipse.jetty.http.PreEncodedHttpField;

/**
 * A header field a policy puts on every response, encoded once. As a {@link PreEncodedHttpField}
 * the HTTP/1.1 generator copies its bytes instead of checking the value character by character
 * for every response, and HTTP/2's encoder indexes it the first time as it would any field. Its
 * lower-case name is made once too: HTTP/2's encoder asks every field for it on every response,
 * and Jetty lower-cases a name it has no constant for ({@code Permissions-Policy},
 * {@code Referrer-Policy}, the {@code Cross-Origin-*} ones) anew each time, three allocations a
 * field: a tenth of the bytes Gatehouse allocated per HTTP/2 request under h2load.
 */
final class PolicyField extends PreEncodedHttpField
{
    private final String lowerCaseName;

    PolicyField(HttpHeader header, String value)
    {
        super(header, legal(value));
        this.lowerCaseName = header.lowerCaseName();
    }

    PolicyField(String name, String value)
    {
        super(name, legal(value));
        this.lowerCaseName = name.toLowerCase(Locale.ROOT);
    }

    /**
     * The generator's per-response check replaced a line break in a value with a space; pre-encoded
     * bytes are sent as they are, so a value that is not a legal field value is refused here (the
     * configuration's checks refuse them first, with the key's name).
     */
    private static String legal(String value)
    {
        if (!HttpTokens.isLegalFieldValue(value))
            throw new IllegalArgumentException("not a legal header value: '" + value + "'");
        return value;
    }

    @Override
    public String getLowerCaseName()
    {
        return lowerCaseName;
    }
}
