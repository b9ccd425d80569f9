package dev.gatehouse.plugin.securityheaders;

import java.time.Duration;

import dev.gatehouse.spi.Config;
import dev.gatehouse.spi.DataSize;
import org.eclipse.jetty.http.HttpTokens;

/**
 * {@code gatehouse.security-headers.*}. One preset for every route for now; {@link HeaderPolicy}
 * is built per preset so a route can later pick its own.
 */
public class SecurityHeadersConfig
{
    /**
     * Whether inline-code hashes fall back to {@code 'unsafe-inline'} when they cannot be computed.
     */
    public enum Fallback
    {
        /** What the preset says: unsafe-inline for the app presets, block for strict. */
        PRESET,
        UNSAFE_INLINE,
        BLOCK
    }

    /**
     * Where the violation counts can be read.
     */
    public enum Summary
    {
        /** GET on the report path returns the JSON summary to loopback clients (not through the tunnel listener). */
        LOOPBACK,
        /** Only the log. */
        OFF
    }

    static final long ONE_YEAR_SECONDS = 31_536_000L;

    private Preset preset = Preset.PLEX;
    private String cspAdd = "";
    private String cspRemove = "";
    private boolean reportOnly;
    private Duration hstsMaxAge = Duration.ofSeconds(ONE_YEAR_SECONDS);
    private boolean hstsIncludeSubdomains;
    private boolean hstsPreload;
    private boolean inlineHashes = true;
    private DataSize inlineHashLimit = DataSize.ofBytes(2L << 20);
    private int inlineHashCacheEntries = 256;
    private Fallback inlineFallback = Fallback.PRESET;
    private boolean reports = true;
    private String reportPath = "/.well-known/gatehouse/csp-report";
    private DataSize reportBodyLimit = DataSize.ofBytes(64L << 10);
    private int reportRatePerMinute = 60;
    private int reportBurst = 20;
    private int reportMaxTracked = 1000;
    private Summary reportSummary = Summary.LOOPBACK;
    private Duration reportLogInterval = Duration.ofMinutes(15);
    private String referrerPolicy = "";
    private String permissionsPolicy = "";

    public Preset getPreset()
    {
        return preset;
    }

    @Config(value = "preset", description = "plex, jellyfin, home-assistant, strict or off")
    public void setPreset(Preset preset)
    {
        this.preset = preset;
    }

    public String getCspAdd()
    {
        return cspAdd;
    }

    @Config(value = "csp-add", description = "sources added to the preset's CSP, e.g. 'img-src https://images.example.com; connect-src wss://push.example.com'")
    public void setCspAdd(String cspAdd)
    {
        CspEdits.parse(cspAdd, false);
        this.cspAdd = cspAdd;
    }

    public String getCspRemove()
    {
        return cspRemove;
    }

    @Config(value = "csp-remove", description = "sources or whole directives removed from the preset's CSP, e.g. 'img-src data:; upgrade-insecure-requests'")
    public void setCspRemove(String cspRemove)
    {
        CspEdits.parse(cspRemove, true);
        this.cspRemove = cspRemove;
    }

    public boolean isReportOnly()
    {
        return reportOnly;
    }

    @Config(value = "report-only", description = "send the CSP as Content-Security-Policy-Report-Only: nothing is blocked, violations are reported")
    public void setReportOnly(boolean reportOnly)
    {
        this.reportOnly = reportOnly;
    }

    public Duration getHstsMaxAge()
    {
        return hstsMaxAge;
    }

    @Config(value = "hsts-max-age", description = "Strict-Transport-Security max-age (sent on HTTPS only); 0s tells browsers to forget HSTS")
    public void setHstsMaxAge(Duration hstsMaxAge)
    {
        if (hstsMaxAge.isNegative())
            throw new IllegalArgumentException("max-age cannot be negative");
        this.hstsMaxAge = hstsMaxAge;
    }

    public boolean isHstsIncludeSubdomains()
    {
        return hstsIncludeSubdomains;
    }

    @Config(value = "hsts-include-subdomains", description = "add includeSubDomains: every subdomain must then serve HTTPS (plain-HTTP players on a sibling name stop working)")
    public void setHstsIncludeSubdomains(boolean hstsIncludeSubdomains)
    {
        this.hstsIncludeSubdomains = hstsIncludeSubdomains;
    }

    public boolean isHstsPreload()
    {
        return hstsPreload;
    }

    @Config(value = "hsts-preload", description = "add preload (for hstspreload.org; hard to undo); needs hsts-include-subdomains and a max-age of a year or more")
    public void setHstsPreload(boolean hstsPreload)
    {
        this.hstsPreload = hstsPreload;
    }

    public boolean isInlineHashes()
    {
        return inlineHashes;
    }

    @Config(value = "inline-hashes", description = "hash the inline <script> and <style> elements of HTML documents and allow exactly those")
    public void setInlineHashes(boolean inlineHashes)
    {
        this.inlineHashes = inlineHashes;
    }

    public DataSize getInlineHashLimit()
    {
        return inlineHashLimit;
    }

    @Config(value = "inline-hash-limit", description = "largest HTML document (decompressed) held back to hash; larger ones pass unbuffered with the fallback policy")
    public void setInlineHashLimit(DataSize inlineHashLimit)
    {
        if (inlineHashLimit.toBytes() < 1024 || inlineHashLimit.toBytes() > (64L << 20))
            throw new IllegalArgumentException("choose between 1KiB and 64MiB");
        this.inlineHashLimit = inlineHashLimit;
    }

    public int getInlineHashCacheEntries()
    {
        return inlineHashCacheEntries;
    }

    @Config(value = "inline-hash-cache-entries", description = "documents whose hashes are remembered by path and ETag")
    public void setInlineHashCacheEntries(int inlineHashCacheEntries)
    {
        if (inlineHashCacheEntries < 0 || inlineHashCacheEntries > 100_000)
            throw new IllegalArgumentException("choose between 0 and 100000");
        this.inlineHashCacheEntries = inlineHashCacheEntries;
    }

    public Fallback getInlineFallback()
    {
        return inlineFallback;
    }

    @Config(value = "inline-fallback", description = "when hashes cannot be computed: preset, unsafe-inline (page works) or block (page may break)")
    public void setInlineFallback(Fallback inlineFallback)
    {
        this.inlineFallback = inlineFallback;
    }

    public boolean isReports()
    {
        return reports;
    }

    @Config(value = "reports", description = "collect CSP violation reports at report-path (report-uri and the Reporting API)")
    public void setReports(boolean reports)
    {
        this.reports = reports;
    }

    public String getReportPath()
    {
        return reportPath;
    }

    @Config(value = "report-path", description = "path of the violation report endpoint; requests to it never reach the upstream")
    public void setReportPath(String reportPath)
    {
        if (!reportPath.matches("/[A-Za-z0-9._~\\-/]*") || reportPath.contains("//") || reportPath.contains("/./") || reportPath.contains("/../") || reportPath.endsWith("/"))
            throw new IllegalArgumentException("expected an absolute path of letters, digits and . _ ~ - /, e.g. /.well-known/gatehouse/csp-report");
        this.reportPath = reportPath;
    }

    public DataSize getReportBodyLimit()
    {
        return reportBodyLimit;
    }

    @Config(value = "report-body-limit", description = "largest report body accepted; larger ones get 413")
    public void setReportBodyLimit(DataSize reportBodyLimit)
    {
        if (reportBodyLimit.toBytes() < 1024 || reportBodyLimit.toBytes() > (1L << 20))
            throw new IllegalArgumentException("choose between 1KiB and 1MiB");
        this.reportBodyLimit = reportBodyLimit;
    }

    public int getReportRatePerMinute()
    {
        return reportRatePerMinute;
    }

    @Config(value = "report-rate-per-minute", description = "reports accepted per client address per minute (token bucket); more get 429")
    public void setReportRatePerMinute(int reportRatePerMinute)
    {
        if (reportRatePerMinute < 1 || reportRatePerMinute > 60_000)
            throw new IllegalArgumentException("choose between 1 and 60000");
        this.reportRatePerMinute = reportRatePerMinute;
    }

    public int getReportBurst()
    {
        return reportBurst;
    }

    @Config(value = "report-burst", description = "reports a client address may send at once before the rate applies")
    public void setReportBurst(int reportBurst)
    {
        if (reportBurst < 1 || reportBurst > 10_000)
            throw new IllegalArgumentException("choose between 1 and 10000");
        this.reportBurst = reportBurst;
    }

    public int getReportMaxTracked()
    {
        return reportMaxTracked;
    }

    @Config(value = "report-max-tracked", description = "distinct (directive, blocked source) pairs counted; later ones are counted as (other)")
    public void setReportMaxTracked(int reportMaxTracked)
    {
        if (reportMaxTracked < 1 || reportMaxTracked > 100_000)
            throw new IllegalArgumentException("choose between 1 and 100000");
        this.reportMaxTracked = reportMaxTracked;
    }

    public Summary getReportSummary()
    {
        return reportSummary;
    }

    @Config(value = "report-summary", description = "loopback (GET on report-path from this machine returns JSON counts) or off")
    public void setReportSummary(Summary reportSummary)
    {
        this.reportSummary = reportSummary;
    }

    public Duration getReportLogInterval()
    {
        return reportLogInterval;
    }

    @Config(value = "report-log-interval", description = "how often the violation counts are logged when new reports arrived; 0s is never")
    public void setReportLogInterval(Duration reportLogInterval)
    {
        if (reportLogInterval.isNegative() || (!reportLogInterval.isZero() && reportLogInterval.compareTo(Duration.ofSeconds(10)) < 0))
            throw new IllegalArgumentException("choose 0s (never) or at least 10s");
        this.reportLogInterval = reportLogInterval;
    }

    public String getReferrerPolicy()
    {
        return referrerPolicy;
    }

    @Config(value = "referrer-policy", description = "Referrer-Policy instead of the preset's, e.g. no-referrer; empty keeps the preset's")
    public void setReferrerPolicy(String referrerPolicy)
    {
        for (String token : referrerPolicy.split(","))
        {
            String value = token.trim();
            if (!referrerPolicy.isBlank() && !java.util.Set.of("no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin", "same-origin",
                "strict-origin", "strict-origin-when-cross-origin", "unsafe-url").contains(value))
                throw new IllegalArgumentException("'" + value + "' is not a referrer policy (e.g. no-referrer, same-origin, strict-origin-when-cross-origin)");
        }
        this.referrerPolicy = referrerPolicy.trim();
    }

    public String getPermissionsPolicy()
    {
        return permissionsPolicy;
    }

    @Config(value = "permissions-policy", description = "Permissions-Policy instead of the preset's, e.g. 'camera=(), microphone=(self)'; empty keeps the preset's")
    public void setPermissionsPolicy(String permissionsPolicy)
    {
        // The field's own check (PolicyField), here with the key's name: a line break would pass the
        // item pattern's spaces and end the header on the wire.
        if (!HttpTokens.isLegalFieldValue(permissionsPolicy.trim()))
            throw new IllegalArgumentException("a header value cannot hold control characters such as line breaks, nor characters beyond Latin-1");
        for (String item : permissionsPolicy.split(","))
        {
            String value = item.trim();
            if (!permissionsPolicy.isBlank() && !value.matches("[a-z][a-z0-9\\-]*=(\\*|\\(\\s*\\)|\\((\\s*(self|src|\\*|\"[^\"\\s]+\"))+\\s*\\)|self)"))
                throw new IllegalArgumentException("'" + value + "' is not a permissions-policy item such as camera=() or fullscreen=(self \"https://example.com\")");
        }
        this.permissionsPolicy = permissionsPolicy.trim();
    }
}
