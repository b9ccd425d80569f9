package dev.gatehouse.plugin.securityheaders;

import java.time.Clock;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.Problems;
import dev.gatehouse.spi.Slot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Security headers and CSP presets, applied when each response commits; inline hashes; a CSP
 * violation report collector. Outermost slot, so it sees every response, denials and the proxy's
 * own error pages included, and so its report endpoint is reachable without passing the access gate
 * (browsers send reports without credentials).
 */
public class SecurityHeadersPlugin implements GatehousePlugin<SecurityHeadersConfig>
{
    private static final Logger LOG = LoggerFactory.getLogger(SecurityHeadersPlugin.class);

    @Override
    public String id()
    {
        return "security-headers";
    }

    @Override
    public Slot slot()
    {
        return Slot.RESPONSE_HEADERS;
    }

    @Override
    public Class<SecurityHeadersConfig> configClass()
    {
        return SecurityHeadersConfig.class;
    }

    @Override
    public void validate(SecurityHeadersConfig config, Problems problems)
    {
        if (config.isHstsPreload())
        {
            if (!config.isHstsIncludeSubdomains())
                problems.report("hsts-preload", "preload needs hsts-include-subdomains=true (the preload list applies to every subdomain)");
            if (config.getHstsMaxAge().toSeconds() < SecurityHeadersConfig.ONE_YEAR_SECONDS)
                problems.report("hsts-preload", "preload needs hsts-max-age of at least 365d (now " + config.getHstsMaxAge().toSeconds() + "s)");
        }
        if (config.getPreset() == Preset.OFF)
        {
            if (!config.getCspAdd().isBlank())
                problems.report("csp-add", "the preset is off, which sends no CSP; choose a preset to add to (plex, jellyfin, home-assistant, strict)");
            if (!config.getCspRemove().isBlank())
                problems.report("csp-remove", "the preset is off, which sends no CSP; choose a preset to remove from");
            return;
        }
        CspEdits removals;
        CspEdits additions;
        try
        {
            removals = CspEdits.parse(config.getCspRemove(), true);
            additions = CspEdits.parse(config.getCspAdd(), false);
        }
        catch (IllegalArgumentException e)
        {
            return; // already reported by the binder with the key and value
        }
        ContentSecurityPolicy preset = config.getPreset().csp();
        for (var removal : removals.directives().entrySet())
        {
            String directive = removal.getKey();
            if (!preset.has(directive))
            {
                problems.report("csp-remove", "the " + config.getPreset().configName() + " preset has no " + directive + " directive (it has: " + String.join(", ", preset.directiveNames()) + ")");
                continue;
            }
            for (String source : removal.getValue())
            {
                if (!preset.sources(directive).contains(source))
                    problems.report("csp-remove", "the " + config.getPreset().configName() + " preset's " + directive + " has no source " + source + " (it has: " + String.join(" ", preset.sources(directive)) + ")");
                if (additions.directives().getOrDefault(directive, java.util.List.of()).contains(source))
                    problems.report("csp-add", directive + " " + source + " is both added and removed");
            }
        }
        if (config.isReportOnly() && !config.isReports())
            problems.report("report-only", "report-only with reports=false sends a policy whose reports go nowhere; set reports=true");
    }

    @Override
    public Module module(SecurityHeadersConfig config)
    {
        return new AbstractModule()
        {
            @Override
            protected void configure()
            {
                String reportPath = config.isReports() ? config.getReportPath() : null;
                HeaderPolicy policy = HeaderPolicy.of(config.getPreset(), config, reportPath);
                policy.describe().forEach(line -> LOG.info("security-headers: {}", line));
                DocumentHasher hasher = new DocumentHasher(config.getInlineHashLimit().toBytes(), config.getInlineHashCacheEntries());
                ReportEndpoint reports = null;
                if (config.isReports())
                {
                    ViolationCollector collector = new ViolationCollector(config.getReportMaxTracked(), Clock.systemUTC());
                    ClientRateLimiter limiter = new ClientRateLimiter(config.getReportRatePerMinute(), config.getReportBurst(), System::nanoTime);
                    reports = new ReportEndpoint(collector, limiter, config.getReportBodyLimit().toIntBytes(), config.getReportSummary() == SecurityHeadersConfig.Summary.LOOPBACK);
                }
                Contributions.handler(binder()).toInstance(new SecurityHeadersHandler(PolicySelector.global(policy), hasher, reports, config.getReportPath(), config.getReportLogInterval()));
                if (policy.isHashing())
                    Contributions.upstreamCustomizers(binder()).addBinding().toInstance(new NavigationEncodingCustomizer());
            }
        };
    }
}
