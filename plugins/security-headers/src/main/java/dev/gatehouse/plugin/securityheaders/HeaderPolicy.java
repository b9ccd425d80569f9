package dev.gatehouse.plugin.securityheaders;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The headers one route gets, resolved once from a preset and the configuration: what to put on
 * every response, what on HTML documents, what to remove, and how inline hashes enter the CSP.
 * Immutable and shared by all requests of the route.
 */
public final class HeaderPolicy
{
    static final String REPORTING_GROUP = "gatehouse-csp";
    static final String CSP = "Content-Security-Policy";
    static final String CSP_REPORT_ONLY = "Content-Security-Policy-Report-Only";
    static final List<String> REMOVED = List.of("Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-XSS-Protection");

    private final String name;
    private final ContentSecurityPolicy csp;
    private final boolean reportOnly;
    private final Map<String, String> everyResponse;
    private final String hsts;
    private final String scriptHashDirective;
    private final String styleHashDirective;
    private final boolean fallbackUnsafeInline;
    private final String reportPath;
    private final boolean hashing;
    /** The fields of {@link #everyResponse}, made and encoded once: a field is immutable and can go in every response. */
    private final List<HttpField> everyResponseFields;
    private final HttpField hstsField;
    /** What an HTTP response loses before the fields are added: {@link #REMOVED} and the replaced ones. */
    private final Set<String> replacedOnHttp;
    /** As {@link #replacedOnHttp}, and {@code Strict-Transport-Security} where this policy sends it. */
    private final Set<String> replacedOnHttps;

    private HeaderPolicy(String name, ContentSecurityPolicy csp, boolean reportOnly, Map<String, String> everyResponse, String hsts,
                         boolean hashing, boolean fallbackUnsafeInline, String reportPath)
    {
        this.name = name;
        this.csp = csp;
        this.reportOnly = reportOnly;
        this.everyResponse = everyResponse;
        this.hsts = hsts;
        this.scriptHashDirective = governing(csp, "script-src-elem", "script-src");
        this.styleHashDirective = governing(csp, "style-src-elem", "style-src");
        this.hashing = hashing && !csp.isEmpty() && (scriptHashDirective != null || styleHashDirective != null);
        this.fallbackUnsafeInline = fallbackUnsafeInline;
        this.reportPath = reportPath;
        this.everyResponseFields = everyResponse.entrySet().stream().map(header -> (HttpField)new PolicyField(header.getKey(), header.getValue())).toList();
        this.hstsField = hsts == null ? null : new PolicyField(HttpHeader.STRICT_TRANSPORT_SECURITY, hsts);
        this.replacedOnHttp = caseInsensitive(REMOVED, everyResponse.keySet());
        this.replacedOnHttps = hsts == null ? replacedOnHttp : caseInsensitive(replacedOnHttp, List.of(HttpHeader.STRICT_TRANSPORT_SECURITY.asString()));
    }

    private static Set<String> caseInsensitive(Collection<String> names, Collection<String> more)
    {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(names);
        set.addAll(more);
        return Collections.unmodifiableSet(set);
    }

    /**
     * @param reportPath where violation reports go, or null for none
     */
    public static HeaderPolicy of(Preset preset, SecurityHeadersConfig config, String reportPath)
    {
        ContentSecurityPolicy csp = preset.csp();
        if (!csp.isEmpty())
            csp = csp.edit(CspEdits.parse(config.getCspRemove(), true), CspEdits.parse(config.getCspAdd(), false));
        if (config.isReportOnly())
            csp = csp.without("upgrade-insecure-requests");
        Map<String, String> headers = new LinkedHashMap<>();
        String hsts = null;
        if (preset != Preset.OFF)
        {
            headers.put("X-Content-Type-Options", "nosniff");
            String frameOptions = frameOptions(csp);
            if (frameOptions != null)
                headers.put("X-Frame-Options", frameOptions);
            putIfSet(headers, "Referrer-Policy", config.getReferrerPolicy().isEmpty() ? preset.referrerPolicy() : config.getReferrerPolicy());
            putIfSet(headers, "Permissions-Policy", config.getPermissionsPolicy().isEmpty() ? preset.permissionsPolicy() : config.getPermissionsPolicy());
            putIfSet(headers, "Cross-Origin-Opener-Policy", preset.crossOriginOpenerPolicy());
            putIfSet(headers, "Cross-Origin-Resource-Policy", preset.crossOriginResourcePolicy());
            putIfSet(headers, "Cross-Origin-Embedder-Policy", preset.crossOriginEmbedderPolicy());
            hsts = "max-age=" + config.getHstsMaxAge().toSeconds() +
                (config.isHstsIncludeSubdomains() ? "; includeSubDomains" : "") +
                (config.isHstsPreload() ? "; preload" : "");
        }
        boolean fallback = switch (config.getInlineFallback())
        {
            case PRESET -> preset.inlineFallback() == Preset.InlineFallback.UNSAFE_INLINE;
            case UNSAFE_INLINE -> true;
            case BLOCK -> false;
        };
        return new HeaderPolicy(preset.configName(), csp, config.isReportOnly(), Map.copyOf(headers), hsts, config.isInlineHashes(), fallback, reportPath);
    }

    private static void putIfSet(Map<String, String> headers, String name, String value)
    {
        if (value != null && !value.isEmpty())
            headers.put(name, value);
    }

    /**
     * X-Frame-Options for old browsers, derived from frame-ancestors so the two never disagree;
     * a list of hosts has no X-Frame-Options equivalent (ALLOW-FROM is dead), so none is sent.
     */
    private static String frameOptions(ContentSecurityPolicy csp)
    {
        List<String> ancestors = csp.sources("frame-ancestors");
        if (ancestors.equals(List.of(ContentSecurityPolicy.NONE)))
            return "DENY";
        if (ancestors.equals(List.of("'self'")))
            return "SAMEORIGIN";
        return null;
    }

    /**
     * @return the directive a hash must go to: the most specific one present, unless it allows
     * inline code on purpose ({@code 'unsafe-inline'} is switched off by any hash) or is 'none'
     */
    private static String governing(ContentSecurityPolicy csp, String specific, String general)
    {
        String directive = csp.has(specific) ? specific : csp.has(general) ? general : csp.has("default-src") ? "default-src" : null;
        if (directive == null)
            return null;
        List<String> sources = csp.sources(directive);
        if (sources.contains(ContentSecurityPolicy.UNSAFE_INLINE) || sources.equals(List.of(ContentSecurityPolicy.NONE)))
            return null;
        return directive;
    }

    public String name()
    {
        return name;
    }

    public boolean hasCsp()
    {
        return !csp.isEmpty();
    }

    public ContentSecurityPolicy csp()
    {
        return csp;
    }

    public boolean isReportOnly()
    {
        return reportOnly;
    }

    /**
     * @return whether HTML documents are held back to hash their inline code
     */
    public boolean isHashing()
    {
        return hashing;
    }

    public String reportPath()
    {
        return reportPath;
    }

    /**
     * Puts the headers of every response: replaces the upstream's values and removes what
     * identifies the software.
     *
     * @param secure whether the client's connection is HTTPS (HSTS is meaningless and ignored on HTTP)
     */
    public void applyCommon(HttpFields.Mutable headers, boolean secure)
    {
        // One walk over the response's fields removes all that go, instead of one walk per name.
        Set<String> replaced = secure ? replacedOnHttps : replacedOnHttp;
        for (ListIterator<HttpField> fields = headers.listIterator(); fields.hasNext(); )
        {
            if (replaced.contains(fields.next().getName()))
                fields.remove();
        }
        for (HttpField field : everyResponseFields)
            headers.add(field);
        if (hstsField != null && secure)
            headers.add(hstsField);
    }

    /**
     * Puts the CSP of an HTML document, replacing the upstream's own, so exactly one is sent.
     *
     * @param hashes the document's inline hashes, or null when they could not be computed
     * @param origin {@code https://host[:port]} of the request, for the Reporting API endpoint, or
     * null on plain HTTP, where browsers do not use the Reporting API
     */
    public void applyDocument(HttpFields.Mutable headers, InlineHashes hashes, String origin)
    {
        if (csp.isEmpty())
            return;
        // In report-only mode the upstream's own enforced policy stays: that mode promises no
        // change in behaviour. Ours replaces any report-only policy it sent.
        headers.remove(HeaderPolicy.CSP_REPORT_ONLY);
        if (!reportOnly)
            headers.remove(HeaderPolicy.CSP);
        headers.put(reportOnly ? HeaderPolicy.CSP_REPORT_ONLY : HeaderPolicy.CSP, render(hashes, origin != null));
        if (reportPath != null && origin != null)
            headers.put("Reporting-Endpoints", REPORTING_GROUP + "=\"" + origin + reportPath + "\"");
    }

    /**
     * @return the CSP header value for a document with these hashes
     */
    public String render(InlineHashes hashes, boolean reportTo)
    {
        ContentSecurityPolicy policy = csp;
        if (hashes == null)
        {
            if (hashing && fallbackUnsafeInline)
            {
                policy = add(policy, scriptHashDirective, List.of(ContentSecurityPolicy.UNSAFE_INLINE));
                policy = add(policy, styleHashDirective, List.of(ContentSecurityPolicy.UNSAFE_INLINE));
            }
        }
        else
        {
            policy = add(policy, scriptHashDirective, hashes.scripts());
            policy = add(policy, styleHashDirective, hashes.styles());
        }
        String text = policy.render();
        if (reportPath != null)
        {
            text += "; report-uri " + reportPath;
            if (reportTo)
                text += "; report-to " + REPORTING_GROUP;
        }
        return text;
    }

    private static ContentSecurityPolicy add(ContentSecurityPolicy policy, String directive, Collection<String> sources)
    {
        if (directive == null || sources.isEmpty())
            return policy;
        return policy.with(directive, new ArrayList<>(sources));
    }

    /**
     * @return the effective policy, for the start-up log
     */
    public List<String> describe()
    {
        List<String> lines = new ArrayList<>();
        lines.add("preset " + name + (reportOnly ? " (report-only)" : "") + (hashing ? ", inline hashes on" + (fallbackUnsafeInline ? " (fallback 'unsafe-inline')" : " (no fallback)") : ""));
        if (!csp.isEmpty())
            lines.add((reportOnly ? "Content-Security-Policy-Report-Only: " : "Content-Security-Policy: ") + render(InlineHashes.NONE, true));
        everyResponse.forEach((name, value) -> lines.add(name + ": " + value));
        if (hsts != null)
            lines.add("Strict-Transport-Security (HTTPS only): " + hsts);
        lines.add("removed: " + String.join(", ", REMOVED));
        return lines;
    }
}
