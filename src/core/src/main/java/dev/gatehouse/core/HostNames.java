package dev.gatehouse.core;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import dev.gatehouse.spi.IpLiterals;

/**
 * The host names an app answers for: DNS names, {@code *.}-wildcards of exactly one label
 * (Jetty's virtual-host matching), and IPv4 literals. Lower-cased, because Host matching is
 * case-insensitive and two apps must not claim the same name in different spellings.
 */
public final class HostNames
{
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private HostNames()
    {
    }

    /**
     * @return the names lower-cased, duplicates removed, in the given order
     * @throws IllegalArgumentException naming the first name that is not a host name
     */
    public static List<String> normalize(List<String> names)
    {
        Set<String> normalized = new LinkedHashSet<>();
        for (String name : names)
        {
            String host = name.trim().toLowerCase(Locale.ROOT);
            if (host.endsWith("."))
                host = host.substring(0, host.length() - 1);
            if (!isValid(host))
                throw new IllegalArgumentException("'" + name + "' is not a host name; use names like plex.example.com or *.example.com, without scheme, port or path");
            normalized.add(host);
        }
        return List.copyOf(new ArrayList<>(normalized));
    }

    /**
     * @return whether {@code host} (lower case) is a wildcard such as {@code *.example.com}
     */
    public static boolean isWildcard(String host)
    {
        return host.startsWith("*.");
    }

    private static boolean isValid(String host)
    {
        if (host.isEmpty() || host.length() > 253)
            return false;
        if (IpLiterals.parseOrNull(host) != null)
            return !host.contains(":");
        String rest = isWildcard(host) ? host.substring(2) : host;
        String[] labels = rest.split("\\.", -1);
        if (isWildcard(host) && labels.length < 2)
            return false;
        for (String label : labels)
        {
            if (!LABEL.matcher(label).matches())
                return false;
        }
        return true;
    }
}
