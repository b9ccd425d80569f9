package dev.gatehouse.plugin.plexdirect;

import java.util.regex.Pattern;

/**
 * Makes text safe for Gatehouse's logs: Plex tokens ({@code X-Plex-Token} as a query parameter,
 * URL-encoded inside another parameter, or a header line) are replaced, and control characters
 * that could forge log lines are escaped. A Plex token is the account's password equivalent.
 */
public final class Redact
{
    public static final String REDACTED = "<redacted>";
    private static final Pattern TOKEN = Pattern.compile("(?i)(x-plex-token(?:\"?\\s*[:=]\\s*\"?|%3d))[^&\\s\"',;%]+");

    private Redact()
    {
    }

    /**
     * @return the text with every Plex token replaced and control characters escaped
     */
    public static String text(String text)
    {
        if (text == null)
            return null;
        String redacted = TOKEN.matcher(text).replaceAll("$1" + REDACTED);
        StringBuilder safe = new StringBuilder(redacted.length());
        for (int i = 0; i < redacted.length(); i++)
        {
            char c = redacted.charAt(i);
            if (c < 0x20 || c == 0x7f)
                safe.append(String.format("\\x%02x", (int)c));
            else
                safe.append(c);
        }
        return safe.toString();
    }

    /**
     * @return the failure and its causes as one line, redacted
     */
    public static String failure(Throwable failure)
    {
        StringBuilder text = new StringBuilder();
        java.util.Set<Throwable> seen = new java.util.HashSet<>();
        for (Throwable cause = failure; cause != null && seen.add(cause) && seen.size() < 8; cause = cause.getCause())
        {
            if (!text.isEmpty())
                text.append(" <- ");
            text.append(cause.getClass().getSimpleName());
            if (cause.getMessage() != null)
                text.append(": ").append(cause.getMessage());
        }
        return text(text.toString());
    }
}
