package dev.gatehouse.plugin.securityheaders;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The CSP hash sources ({@code 'sha256-...'}) of a document's inline {@code <script>} and
 * {@code <style>} elements.
 *
 * <p>Only element content is hashed: a {@code <script src>} is allowed by its host, and inline
 * event handlers ({@code onclick="..."}) or {@code style="..."} attributes are not covered; they
 * would need {@code 'unsafe-hashes'}, which this plugin never adds. Scripts of a type the browser
 * does not execute ({@code application/ld+json}, templates) are skipped.</p>
 *
 * <p>The scan follows the HTML tokenizer where it matters for the hash: script and style are raw
 * text (no character references are decoded), the content ends at the first {@code </script} or
 * {@code </style} whatever the case, and line breaks are normalised (CR LF and CR become LF)
 * before hashing, as the browser does before it sees the text. Markup inside comments is skipped.
 * The rare script that contains {@code <!--<script>} escapes is hashed up to its first
 * {@code </script}, which may differ from the browser; its violation report then shows it.</p>
 */
public record InlineHashes(List<String> scripts, List<String> styles)
{
    public static final InlineHashes NONE = new InlineHashes(List.of(), List.of());

    private static final Set<String> SCRIPT_TYPES = Set.of("", "module", "importmap", "speculationrules", "text/javascript", "application/javascript",
        "application/ecmascript", "application/x-ecmascript", "application/x-javascript", "text/ecmascript", "text/javascript1.0", "text/javascript1.1",
        "text/javascript1.2", "text/javascript1.3", "text/javascript1.4", "text/javascript1.5", "text/jscript", "text/livescript", "text/x-ecmascript",
        "text/x-javascript");

    /**
     * @param html the document, decoded to text
     */
    public static InlineHashes of(String html)
    {
        Set<String> scripts = new LinkedHashSet<>();
        Set<String> styles = new LinkedHashSet<>();
        String lower = html.toLowerCase(Locale.ROOT);
        int position = 0;
        int length = html.length();
        while (position < length)
        {
            int open = lower.indexOf('<', position);
            if (open < 0)
                break;
            if (lower.startsWith("<!--", open))
            {
                int close = lower.indexOf("-->", open + 4);
                position = close < 0 ? length : close + 3;
                continue;
            }
            String element = lower.startsWith("<script", open) ? "script" : lower.startsWith("<style", open) ? "style" : null;
            int nameEnd = open + 1 + (element == null ? 0 : element.length());
            if (element == null || nameEnd >= length || !isTagNameEnd(lower.charAt(nameEnd)))
            {
                position = open + 1;
                continue;
            }
            int tagEnd = endOfTag(html, nameEnd);
            if (tagEnd < 0)
                break;
            String attributes = html.substring(nameEnd, tagEnd);
            int contentStart = tagEnd + 1;
            int contentEnd = lower.indexOf("</" + element, contentStart);
            if (contentEnd < 0)
                contentEnd = length;
            // "/>" does not close a script or style in HTML: the content still runs to the end tag.
            if (hashable(element, attributes))
            {
                String hash = sha256(normalizeNewlines(html.substring(contentStart, contentEnd)));
                (element.equals("script") ? scripts : styles).add(hash);
            }
            position = contentEnd;
        }
        return new InlineHashes(List.copyOf(scripts), List.copyOf(styles));
    }

    private static boolean isTagNameEnd(char c)
    {
        return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    }

    /**
     * @return the index of the {@code >} that ends the start tag, skipping quoted attribute values
     */
    private static int endOfTag(String html, int from)
    {
        char quote = 0;
        for (int i = from; i < html.length(); i++)
        {
            char c = html.charAt(i);
            if (quote != 0)
            {
                if (c == quote)
                    quote = 0;
            }
            else if (c == '"' || c == '\'')
            {
                // Quotes open a value only after '='; elsewhere they are part of a name.
                int previous = i - 1;
                while (previous >= from && Character.isWhitespace(html.charAt(previous)))
                    previous--;
                if (previous >= from && html.charAt(previous) == '=')
                    quote = c;
            }
            else if (c == '>')
            {
                return i;
            }
        }
        return -1;
    }

    private static boolean hashable(String element, String attributes)
    {
        List<String[]> parsed = parseAttributes(attributes);
        if (element.equals("style"))
            return true;
        for (String[] attribute : parsed)
        {
            if (attribute[0].equals("src"))
                return false;
        }
        for (String[] attribute : parsed)
        {
            if (attribute[0].equals("type"))
                return SCRIPT_TYPES.contains(attribute[1].trim().toLowerCase(Locale.ROOT));
        }
        return true;
    }

    /**
     * @return name (lower case) and value pairs; the first occurrence of a name wins, as in HTML
     */
    static List<String[]> parseAttributes(String text)
    {
        List<String[]> attributes = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        int i = 0;
        int length = text.length();
        while (i < length)
        {
            char c = text.charAt(i);
            if (Character.isWhitespace(c) || c == '/')
            {
                i++;
                continue;
            }
            int nameStart = i;
            while (i < length && !Character.isWhitespace(text.charAt(i)) && text.charAt(i) != '=' && text.charAt(i) != '/' && text.charAt(i) != '>')
                i++;
            if (i == nameStart)
            {
                i++;
                continue;
            }
            String name = text.substring(nameStart, i).toLowerCase(Locale.ROOT);
            while (i < length && Character.isWhitespace(text.charAt(i)))
                i++;
            String value = "";
            if (i < length && text.charAt(i) == '=')
            {
                i++;
                while (i < length && Character.isWhitespace(text.charAt(i)))
                    i++;
                if (i < length && (text.charAt(i) == '"' || text.charAt(i) == '\''))
                {
                    char quote = text.charAt(i);
                    int end = text.indexOf(quote, i + 1);
                    if (end < 0)
                        end = length;
                    value = text.substring(i + 1, end);
                    i = end + 1;
                }
                else
                {
                    int valueStart = i;
                    while (i < length && !Character.isWhitespace(text.charAt(i)))
                        i++;
                    value = text.substring(valueStart, i);
                }
            }
            if (seen.add(name))
                attributes.add(new String[]{name, value});
        }
        return attributes;
    }

    static String normalizeNewlines(String text)
    {
        if (text.indexOf('\r') < 0)
            return text;
        return text.replace("\r\n", "\n").replace('\r', '\n');
    }

    /**
     * @return {@code 'sha256-<base64>'} of the UTF-8 encoding of the text, as CSP defines it
     */
    static String sha256(String text)
    {
        try
        {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return "'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
        }
        catch (NoSuchAlgorithmException e)
        {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
