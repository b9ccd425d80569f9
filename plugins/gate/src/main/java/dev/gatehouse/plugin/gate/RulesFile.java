package dev.gatehouse.plugin.gate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import dev.gatehouse.spi.Cidr;

/**
 * The rules file: one rule a line, first match wins, {@code #} starts a comment.
 *
 * <pre>
 * # action     conditions (key=value[,value...]; all keys must hold, any value of a key)
 * bypass       path=/favicon.ico method=GET,HEAD
 * bypass       connector=https network=192.168.1.0/24          # LAN clients on the LAN listener
 * deny         path=/:/prefs/* method=PUT,POST
 * allow        path=/admin/* group=admins                      # token required, admins only
 * plex-token   host=plex.example.com                           # native apps with a Plex token
 * remembered   host=plex.example.com                           # networks that logged in by browser
 * allow        email=me@example.com,mum@example.com email-domain=example.org common-name=abc.access
 * </pre>
 *
 * <p>Why a file and not properties: rules are ordered and have a variable number of conditions,
 * which indexed properties cannot express with the typed binder (every key must be a declared
 * setter), and a file gives line-numbered errors. It is read once at start; a bad file fails the
 * start with every problem listed.</p>
 */
final class RulesFile
{
    static final Set<String> MATCH_KEYS = Set.of("host", "path", "method", "connector", "network");
    static final Set<String> IDENTITY_KEYS = Set.of("email", "email-domain", "group", "common-name");
    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,20}");
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?|\\[[0-9a-f:.]+]");
    private static final Pattern PATH_CHARS = Pattern.compile("[\\x21-\\x7e]+");

    private RulesFile()
    {
    }

    static List<Rule> read(Path file, List<String> problems) throws IOException
    {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8), problems);
    }

    /**
     * @param problems where each problem is added as {@code "line N: ..."}
     */
    static List<Rule> parse(List<String> lines, List<String> problems)
    {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++)
        {
            String text = lines.get(i);
            int hash = text.indexOf('#');
            if (hash >= 0)
                text = text.substring(0, hash);
            text = text.strip();
            if (text.isEmpty())
                continue;
            int before = problems.size();
            Rule rule = parseLine(i + 1, text, problems);
            if (rule != null && problems.size() == before)
                rules.add(rule);
        }
        return rules;
    }

    private static Rule parseLine(int line, String text, List<String> problems)
    {
        String[] words = text.split("\\s+");
        Rule.Action action;
        try
        {
            action = Rule.Action.valueOf(words[0].toUpperCase(Locale.ROOT).replace('-', '_'));
        }
        catch (IllegalArgumentException e)
        {
            problems.add("line " + line + ": '" + words[0] + "' is not an action; one of allow, bypass, deny, plex-token, remembered");
            return null;
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (int w = 1; w < words.length; w++)
        {
            String word = words[w];
            int equals = word.indexOf('=');
            if (equals <= 0 || equals == word.length() - 1)
            {
                problems.add("line " + line + ": '" + word + "' is not key=value[,value...]");
                continue;
            }
            String key = word.substring(0, equals).toLowerCase(Locale.ROOT);
            if (!MATCH_KEYS.contains(key) && !IDENTITY_KEYS.contains(key))
            {
                problems.add("line " + line + ": unknown key '" + key + "'; keys: host, path, method, connector, network, and for allow: email, email-domain, group, common-name");
                continue;
            }
            if (values.containsKey(key))
            {
                problems.add("line " + line + ": '" + key + "' given twice; list the values once, separated by commas");
                continue;
            }
            List<String> list = new ArrayList<>();
            for (String value : word.substring(equals + 1).split(",", -1))
            {
                if (value.isEmpty())
                    problems.add("line " + line + ": empty value in '" + word + "'");
                else
                    list.add(value);
            }
            values.put(key, list);
        }

        List<String> hosts = new ArrayList<>();
        for (String host : values.getOrDefault("host", List.of()))
        {
            String lower = host.toLowerCase(Locale.ROOT);
            if (!HOST.matcher(lower).matches())
                problems.add("line " + line + ": host '" + host + "' is not a host name, *.domain or [IPv6]");
            hosts.add(lower);
        }
        List<String> paths = new ArrayList<>();
        for (String path : values.getOrDefault("path", List.of()))
        {
            if (!path.equals("*") && (!path.startsWith("/") || !PATH_CHARS.matcher(path).matches() || path.indexOf('*') != path.length() - 1 && path.contains("*")
                || path.contains("%") || path.contains("?") || path.contains(";") || path.contains("//") || path.contains("/./") || path.contains("/../") || path.endsWith("/..") || path.endsWith("/.")))
                problems.add("line " + line + ": path '" + path + "' must be *, /exact or /prefix/* written decoded and normalised (no %, ?, ;, //, . or ..; * only as the last segment)");
            else if (path.endsWith("*") && !path.equals("*") && !path.endsWith("/*"))
                problems.add("line " + line + ": path '" + path + "': a wildcard is a whole last segment, as in /web/*");
            paths.add(path.toLowerCase(Locale.ROOT));
        }
        Set<String> methods = new LinkedHashSet<>();
        for (String method : values.getOrDefault("method", List.of()))
        {
            if (!METHOD.matcher(method).matches())
                problems.add("line " + line + ": method '" + method + "' is not an upper-case HTTP method");
            methods.add(method);
        }
        Set<String> connectors = new LinkedHashSet<>(values.getOrDefault("connector", List.of()));
        List<Cidr> networks = new ArrayList<>();
        for (String network : values.getOrDefault("network", List.of()))
        {
            try
            {
                networks.add(Cidr.parse(network));
            }
            catch (IllegalArgumentException e)
            {
                problems.add("line " + line + ": network '" + network + "': " + e.getMessage());
            }
        }
        Set<String> emails = lower(values.get("email"));
        Set<String> domains = lower(values.get("email-domain"));
        Set<String> groups = new LinkedHashSet<>(values.getOrDefault("group", List.of()));
        Set<String> commonNames = new LinkedHashSet<>(values.getOrDefault("common-name", List.of()));
        for (String email : emails)
        {
            if (email.indexOf('@') <= 0 || email.indexOf('@') != email.lastIndexOf('@'))
                problems.add("line " + line + ": email '" + email + "' is not an address");
        }
        for (String domain : domains)
        {
            if (domain.contains("@") || !HOST.matcher(domain).matches() || domain.startsWith("*."))
                problems.add("line " + line + ": email-domain '" + domain + "' is a domain such as example.com (no @, no *)");
        }

        boolean identity = !emails.isEmpty() || !domains.isEmpty() || !groups.isEmpty() || !commonNames.isEmpty();
        if (identity && action != Rule.Action.ALLOW)
            problems.add("line " + line + ": email, email-domain, group and common-name belong to allow rules only");
        boolean admitsWithoutToken = action == Rule.Action.BYPASS || action == Rule.Action.PLEX_TOKEN || action == Rule.Action.REMEMBERED;
        if (action == Rule.Action.BYPASS && values.keySet().stream().noneMatch(MATCH_KEYS::contains))
            problems.add("line " + line + ": a bypass rule without conditions would switch the gate off; add a path, host, method, connector or network");
        if (!networks.isEmpty() && action != Rule.Action.DENY)
        {
            // research/gate.md 0.6: with cloudflared on the same host every tunnelled request comes
            // from loopback or a private address, so a network rule on the tunnel listener would
            // admit the whole internet.
            if (connectors.isEmpty())
                problems.add("line " + line + ": a network condition judges the TCP peer, so it needs a connector condition naming a listener that only LAN clients reach directly (connector=https), never the tunnel listener");
            else if (connectors.contains("tunnel") || connectors.contains(Rule.TUNNEL_CONNECTOR))
                problems.add("line " + line + ": network conditions cannot apply to the tunnel listener: its peer is always cloudflared, so every tunnelled request would match");
        }
        if (admitsWithoutToken && action != Rule.Action.BYPASS && !networks.isEmpty())
            problems.add("line " + line + ": " + words[0] + " rules take no network condition (the address they judge is the client's)");
        return new Rule(line, action, List.copyOf(hosts), List.copyOf(paths), Set.copyOf(methods), Set.copyOf(connectors), List.copyOf(networks),
            Set.copyOf(emails), Set.copyOf(domains), Set.copyOf(groups), Set.copyOf(commonNames));
    }

    private static Set<String> lower(List<String> values)
    {
        Set<String> set = new LinkedHashSet<>();
        if (values != null)
            values.forEach(value -> set.add(value.toLowerCase(Locale.ROOT)));
        return set;
    }
}
