package dev.gatehouse.plugin.securityheaders;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Per-directive additions or removals written by a user, e.g.
 * {@code img-src https://images.example.com; connect-src wss://push.example.com}.
 *
 * <p>Syntax: directives separated by {@code ;}, each a directive name followed by
 * whitespace-separated sources, exactly as in a CSP header. In a removal, a directive name alone
 * removes the whole directive (it then falls back to {@code default-src}); in an addition, a name
 * alone adds a valueless directive such as {@code upgrade-insecure-requests}. Every name and source
 * is checked, and a mistake is reported with its position and, where possible, the fix.</p>
 */
public final class CspEdits
{
    static final Set<String> FETCH_DIRECTIVES = Set.of(
        "default-src", "script-src", "script-src-elem", "script-src-attr", "style-src", "style-src-elem", "style-src-attr",
        "img-src", "font-src", "connect-src", "media-src", "object-src", "frame-src", "child-src", "worker-src",
        "manifest-src", "fenced-frame-src");
    static final Set<String> SOURCE_LIST_DIRECTIVES = Set.of("base-uri", "form-action", "frame-ancestors");
    static final Set<String> OTHER_DIRECTIVES = Set.of("sandbox", "upgrade-insecure-requests", "require-trusted-types-for", "trusted-types");
    /**
     * The reporting directives are written by the plugin from its report settings.
     */
    static final Set<String> MANAGED_DIRECTIVES = Set.of("report-uri", "report-to");
    static final Map<String, String> DEPRECATED = Map.of(
        "prefetch-src", "it was removed from CSP Level 3 and browsers ignore it with a console warning",
        "block-all-mixed-content", "it is obsolete; upgrade-insecure-requests does the useful part",
        "plugin-types", "it was removed from CSP Level 3; object-src 'none' blocks plugins",
        "referrer", "it was removed; use the Referrer-Policy header (gatehouse.security-headers.referrer-policy)",
        "reflected-xss", "it was removed and never shipped");

    static final Set<String> KEYWORDS = Set.of("'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'",
        "'strict-dynamic'", "'report-sample'", "'wasm-unsafe-eval'", "'inline-speculation-rules'");

    private static final Pattern SCHEME_SOURCE = Pattern.compile("[a-z][a-z0-9+.\\-]*:");
    private static final Pattern HOST_SOURCE = Pattern.compile(
        "(?:[a-z][a-z0-9+.\\-]*://)?(?:\\*|(?:\\*\\.)?[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?)*)(?::(?:\\d{1,5}|\\*))?(?:/[^\\s;,']*)?");
    private static final Pattern HASH_SOURCE = Pattern.compile("'(sha256|sha384|sha512)-([A-Za-z0-9+/\\-_]+={0,2})'");
    private static final Pattern SANDBOX_TOKEN = Pattern.compile("allow-[a-z\\-]+");

    private final Map<String, List<String>> directives;

    private CspEdits(Map<String, List<String>> directives)
    {
        this.directives = directives;
    }

    public static CspEdits none()
    {
        return new CspEdits(Map.of());
    }

    public boolean isEmpty()
    {
        return directives.isEmpty();
    }

    /**
     * @return directive name to sources; an empty list is a directive named alone
     */
    public Map<String, List<String>> directives()
    {
        return directives;
    }

    /**
     * @param text the property value; empty or blank is no edit
     * @param removal whether the text lists removals (which allow a name alone for any directive)
     * @throws IllegalArgumentException with a message that names the directive and source at fault
     */
    public static CspEdits parse(String text, boolean removal)
    {
        if (text == null || text.isBlank())
            return none();
        Map<String, List<String>> directives = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        if (text.indexOf(',') >= 0)
            throw new IllegalArgumentException("',' is not allowed: separate directives with ';' and sources with spaces (a comma would start a second policy)");
        String[] parts = text.split(";");
        for (int index = 0; index < parts.length; index++)
        {
            String part = parts[index].trim();
            if (part.isEmpty())
                continue;
            String[] tokens = part.split("\\s+");
            String name = tokens[0].toLowerCase(Locale.ROOT);
            String where = "directive " + (index + 1) + " ('" + name + "')";
            if (!isKnown(name))
            {
                errors.add(unknownDirective(name, index + 1));
                continue;
            }
            List<String> sources = directives.computeIfAbsent(name, key -> new ArrayList<>());
            if (tokens.length == 1)
            {
                if (!removal && !ContentSecurityPolicy.VALUELESS.contains(name) && !"sandbox".equals(name))
                    errors.add(where + " lists no sources; write e.g. '" + name + " https://example.com'");
                continue;
            }
            if (ContentSecurityPolicy.VALUELESS.contains(name))
            {
                errors.add(where + " takes no sources");
                continue;
            }
            for (int i = 1; i < tokens.length; i++)
            {
                String source = tokens[i];
                String problem = checkSource(name, source, removal);
                if (problem != null)
                    errors.add(where + ": " + problem);
                else if (!sources.contains(normalize(source)))
                    sources.add(normalize(source));
            }
        }
        if (!errors.isEmpty())
            throw new IllegalArgumentException(String.join("; and ", errors));
        Map<String, List<String>> frozen = new LinkedHashMap<>();
        directives.forEach((name, sources) -> frozen.put(name, List.copyOf(sources)));
        return new CspEdits(Collections.unmodifiableMap(frozen));
    }

    private static boolean isKnown(String name)
    {
        return FETCH_DIRECTIVES.contains(name) || SOURCE_LIST_DIRECTIVES.contains(name) || OTHER_DIRECTIVES.contains(name);
    }

    private static String unknownDirective(String name, int position)
    {
        String where = "directive " + position + " ('" + name + "')";
        if (MANAGED_DIRECTIVES.contains(name))
            return where + " is written by Gatehouse from gatehouse.security-headers.report-path and report-to; set those instead";
        if (DEPRECATED.containsKey(name))
            return where + " is not supported: " + DEPRECATED.get(name);
        if (name.contains(":") || name.startsWith("'") || name.contains("."))
            return where + " is a source, not a directive name; write the directive first, e.g. 'img-src " + name + "'";
        String suggestion = closest(name);
        return where + " is not a CSP directive" + (suggestion == null ? "" : "; did you mean " + suggestion + "?");
    }

    private static String closest(String name)
    {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        List<String> all = new ArrayList<>(FETCH_DIRECTIVES);
        all.addAll(SOURCE_LIST_DIRECTIVES);
        all.addAll(OTHER_DIRECTIVES);
        Collections.sort(all);
        for (String candidate : all)
        {
            int distance = distance(name, candidate);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = candidate;
            }
        }
        return bestDistance <= Math.max(2, name.length() / 3) ? best : null;
    }

    private static int distance(String a, String b)
    {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++)
            previous[j] = j;
        for (int i = 1; i <= a.length(); i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++)
            {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * Keywords and schemes are case-insensitive in CSP; written in lower case they compare
     * equal to the presets' sources. Hashes keep their case (base64).
     */
    private static String normalize(String source)
    {
        if (source.startsWith("'sha"))
            return source;
        return source.toLowerCase(Locale.ROOT);
    }

    /**
     * @return what is wrong with the source, or null when it is valid for the directive
     */
    static String checkSource(String directive, String source, boolean removal)
    {
        String lower = source.toLowerCase(Locale.ROOT);
        if ("sandbox".equals(directive))
            return SANDBOX_TOKEN.matcher(lower).matches() ? null : "'" + source + "' is not a sandbox token such as allow-scripts";
        if ("require-trusted-types-for".equals(directive))
            return "'script'".equals(lower) ? null : "require-trusted-types-for takes only 'script'";
        if ("trusted-types".equals(directive))
            return source.matches("[A-Za-z0-9\\-#=_/@.%*]+|'none'|'allow-duplicates'") ? null : "'" + source + "' is not a trusted-types policy name";
        if (lower.startsWith("'nonce-"))
            return "nonces are per response and cannot be configured; use a hash ('sha256-...') or a host";
        if (lower.startsWith("'sha"))
        {
            var hash = HASH_SOURCE.matcher(source);
            if (!hash.matches())
                return show(source) + " is not a hash source; write 'sha256-<base64>' with the quotes";
            int expected = switch (hash.group(1)) { case "sha256" -> 32; case "sha384" -> 48; default -> 64; };
            try
            {
                String base64 = hash.group(2).replace('-', '+').replace('_', '/');
                if (Base64.getDecoder().decode(base64).length != expected)
                    return show(source) + " has the wrong length for " + hash.group(1);
            }
            catch (IllegalArgumentException e)
            {
                return show(source) + " is not valid base64";
            }
            return FETCH_DIRECTIVES.contains(directive) ? null : "hashes are allowed only in fetch directives such as script-src";
        }
        if (lower.startsWith("'"))
        {
            if (!KEYWORDS.contains(lower))
                return show(source) + " is not a CSP keyword (known: " + String.join(" ", KEYWORDS.stream().sorted().toList()) + ")";
            if ("'none'".equals(lower) && !removal)
                return "'none' cannot be added; to block everything a directive allows, remove its sources (csp-remove) and it becomes 'none'";
            if ("frame-ancestors".equals(directive) && !"'self'".equals(lower) && !"'none'".equals(lower))
                return "frame-ancestors accepts only 'self', 'none', schemes and hosts, not " + source;
            return null;
        }
        if (KEYWORDS.contains("'" + lower + "'"))
            return "'" + lower + "' must be quoted: write '" + lower + "' with single quotes";
        if (lower.endsWith(":"))
            return SCHEME_SOURCE.matcher(lower).matches() ? null : "'" + source + "' is not a scheme source such as https: or data:";
        if (!HOST_SOURCE.matcher(lower).matches())
            return "'" + source + "' is not a host source; write e.g. https://example.com, *.example.com:443 or https://*.plex.direct:*";
        return null;
    }

    /**
     * @return the source as written, in quotes unless it has its own
     */
    private static String show(String source)
    {
        return source.startsWith("'") ? source : "'" + source + "'";
    }

    @Override
    public String toString()
    {
        return directives.toString();
    }
}
