package dev.gatehouse.plugin.securityheaders;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable Content-Security-Policy: directives in order, each with its sources. Edits return a
 * new policy. Rendering is {@code directive source source; directive; ...}.
 */
public final class ContentSecurityPolicy
{
    static final String NONE = "'none'";
    static final String UNSAFE_INLINE = "'unsafe-inline'";

    /**
     * Directives whose only content is their presence.
     */
    static final Set<String> VALUELESS = Set.of("upgrade-insecure-requests", "block-all-mixed-content");

    private final Map<String, List<String>> directives;

    private ContentSecurityPolicy(Map<String, List<String>> directives)
    {
        this.directives = directives;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    public static ContentSecurityPolicy empty()
    {
        return new ContentSecurityPolicy(Map.of());
    }

    public boolean isEmpty()
    {
        return directives.isEmpty();
    }

    public boolean has(String directive)
    {
        return directives.containsKey(directive);
    }

    /**
     * @return the sources of a directive, or an empty list when it is absent
     */
    public List<String> sources(String directive)
    {
        return directives.getOrDefault(directive, List.of());
    }

    public Set<String> directiveNames()
    {
        return Collections.unmodifiableSet(directives.keySet());
    }

    /**
     * @return the policy with the edits applied: removals first, then additions. Adding to a
     * directive that is {@code 'none'} replaces {@code 'none'}; removing a directive's last source
     * leaves {@code 'none'}, since an empty fetch directive means the same and says it less clearly.
     */
    public ContentSecurityPolicy edit(CspEdits removals, CspEdits additions)
    {
        Map<String, List<String>> result = copy();
        for (Map.Entry<String, List<String>> removal : removals.directives().entrySet())
        {
            String name = removal.getKey();
            if (removal.getValue().isEmpty())
            {
                result.remove(name);
                continue;
            }
            List<String> sources = result.get(name);
            if (sources == null)
                continue;
            sources.removeAll(removal.getValue());
            if (sources.isEmpty() && !VALUELESS.contains(name) && !"sandbox".equals(name))
                sources.add(NONE);
        }
        for (Map.Entry<String, List<String>> addition : additions.directives().entrySet())
            addSources(result, addition.getKey(), addition.getValue());
        return new ContentSecurityPolicy(freeze(result));
    }

    /**
     * @return the policy with these sources added to a directive (created if absent)
     */
    public ContentSecurityPolicy with(String directive, Collection<String> sources)
    {
        if (sources.isEmpty() && has(directive))
            return this;
        Map<String, List<String>> result = copy();
        addSources(result, directive, sources);
        return new ContentSecurityPolicy(freeze(result));
    }

    /**
     * @return the policy without the named directives
     */
    public ContentSecurityPolicy without(String... names)
    {
        Map<String, List<String>> result = copy();
        for (String name : names)
            result.remove(name);
        return new ContentSecurityPolicy(freeze(result));
    }

    private static void addSources(Map<String, List<String>> policy, String name, Collection<String> sources)
    {
        List<String> existing = policy.computeIfAbsent(name, key -> new ArrayList<>());
        if (!sources.isEmpty())
            existing.remove(NONE);
        for (String source : sources)
        {
            if (!existing.contains(source))
                existing.add(source);
        }
    }

    private Map<String, List<String>> copy()
    {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        directives.forEach((name, sources) -> copy.put(name, new ArrayList<>(sources)));
        return copy;
    }

    private static Map<String, List<String>> freeze(Map<String, List<String>> directives)
    {
        Map<String, List<String>> frozen = new LinkedHashMap<>();
        directives.forEach((name, sources) -> frozen.put(name, List.copyOf(sources)));
        return Collections.unmodifiableMap(frozen);
    }

    /**
     * @return the header value
     */
    public String render()
    {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, List<String>> directive : directives.entrySet())
        {
            if (!text.isEmpty())
                text.append("; ");
            text.append(directive.getKey());
            for (String source : directive.getValue())
                text.append(' ').append(source);
        }
        return text.toString();
    }

    @Override
    public String toString()
    {
        return render();
    }

    @Override
    public boolean equals(Object other)
    {
        return other instanceof ContentSecurityPolicy policy && policy.directives.equals(directives);
    }

    @Override
    public int hashCode()
    {
        return directives.hashCode();
    }

    public static final class Builder
    {
        private final Map<String, List<String>> directives = new LinkedHashMap<>();

        /**
         * @param sources space-separated sources, e.g. {@code "'self' https://*.plex.tv"}; empty for a valueless directive
         */
        public Builder directive(String name, String sources)
        {
            List<String> list = new ArrayList<>();
            for (String source : sources.trim().split("\\s+"))
            {
                if (!source.isEmpty())
                    list.add(source);
            }
            directives.put(name, list);
            return this;
        }

        public ContentSecurityPolicy build()
        {
            return new ContentSecurityPolicy(freeze(directives));
        }
    }
}
