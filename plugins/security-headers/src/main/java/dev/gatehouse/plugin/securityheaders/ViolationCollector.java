package dev.gatehouse.plugin.securityheaders;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts CSP violations by directive and blocked source, from both report formats: the old
 * {@code report-uri} ({@code application/csp-report}, one report) and the Reporting API
 * ({@code application/reports+json}, a list). The table is bounded: past the limit, new pairs are
 * counted under {@code (other)}.
 *
 * <p>Blocked URLs are cut to their origin and document URLs to their path: query strings of media
 * apps carry tokens ({@code X-Plex-Token}), which must not end up in logs. A new pair is logged once
 * when first seen; the table is logged periodically and served as JSON to loopback clients.</p>
 */
final class ViolationCollector
{
    private static final Logger LOG = LoggerFactory.getLogger(ViolationCollector.class);
    private static final Pattern DIRECTIVE = Pattern.compile("[a-z][a-z\\-]{0,39}");
    private static final Pattern KEYWORD = Pattern.compile("[a-z][a-z\\-]{0,39}");
    static final String OTHER = "(other)";
    private static final int MAX_REPORTS_PER_BODY = 100;

    private final int maxTracked;
    private final Clock clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong rateLimited = new AtomicLong();
    private final AtomicLong tooLarge = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong ignored = new AtomicLong();
    private final AtomicLong viaReportUri = new AtomicLong();
    private final AtomicLong viaReportingApi = new AtomicLong();
    private volatile long loggedTotal;

    ViolationCollector(int maxTracked, Clock clock)
    {
        this.maxTracked = maxTracked;
        this.clock = clock;
    }

    /**
     * @return how many violations the body held
     * @throws IllegalArgumentException when it is not a report of the given media type
     */
    int accept(String mediaType, String body)
    {
        Object parsed = Json.parse(body);
        int accepted = 0;
        if ("application/reports+json".equals(mediaType))
        {
            if (!(parsed instanceof List<?> list))
                throw new IllegalArgumentException("a Reporting API body is a list");
            for (Object item : list.subList(0, Math.min(list.size(), MAX_REPORTS_PER_BODY)))
            {
                if (item instanceof Map<?, ?> report && "csp-violation".equals(report.get("type")) && report.get("body") instanceof Map<?, ?> details)
                {
                    record(text(details, "effectiveDirective"), text(details, "blockedURL"), text(details, "documentURL"), text(details, "sample"),
                        text(details, "disposition"));
                    viaReportingApi.incrementAndGet();
                    accepted++;
                }
                else
                {
                    ignored.incrementAndGet();
                }
            }
            return accepted;
        }
        if (!(parsed instanceof Map<?, ?> wrapper) || !(wrapper.get("csp-report") instanceof Map<?, ?> report))
            throw new IllegalArgumentException("a report-uri body is {\"csp-report\": {...}}");
        String directive = text(report, "effective-directive");
        if (directive.isEmpty())
        {
            String violated = text(report, "violated-directive").trim();
            directive = violated.isEmpty() ? "" : violated.split("\\s+")[0];
        }
        record(directive, text(report, "blocked-uri"), text(report, "document-uri"), text(report, "script-sample"), text(report, "disposition"));
        viaReportUri.incrementAndGet();
        return 1;
    }

    private static String text(Map<?, ?> map, String key)
    {
        Object value = map.get(key);
        return value instanceof String string ? string : "";
    }

    private void record(String rawDirective, String rawBlocked, String rawDocument, String rawSample, String rawDisposition)
    {
        String directive = DIRECTIVE.matcher(rawDirective).matches() ? rawDirective : "(invalid)";
        String blocked = blockedSource(rawBlocked);
        String document = documentPath(rawDocument);
        String sample = printable(rawSample, 80);
        String disposition = "report".equals(rawDisposition) ? "report" : "enforce";
        total.incrementAndGet();
        String key = directive + ' ' + blocked;
        Entry entry = entries.get(key);
        if (entry == null)
        {
            if (entries.size() >= maxTracked)
            {
                key = OTHER;
                directive = OTHER;
                blocked = OTHER;
            }
            String finalDirective = directive;
            String finalBlocked = blocked;
            boolean[] created = new boolean[1];
            entry = entries.computeIfAbsent(key, k ->
            {
                created[0] = true;
                return new Entry(finalDirective, finalBlocked, clock.instant());
            });
            if (created[0])
                LOG.info("CSP violation (first of its kind): {} blocked {} on {} ({}){}", directive, blocked, document, disposition,
                    sample.isEmpty() ? "" : " sample: " + sample);
        }
        entry.count.incrementAndGet();
        entry.last = new Last(clock.instant(), document, sample, disposition);
    }

    /**
     * @return a keyword ({@code inline}, {@code eval}), a scheme ({@code data}) or an origin
     */
    static String blockedSource(String raw)
    {
        String value = raw.trim();
        if (value.isEmpty())
            return "(none)";
        String lower = value.toLowerCase(Locale.ROOT);
        if (KEYWORD.matcher(lower).matches())
            return lower;
        int colon = lower.indexOf(':');
        if (colon > 0 && !lower.startsWith("http") && !lower.startsWith("ws"))
        {
            String scheme = lower.substring(0, colon);
            return scheme.matches("[a-z][a-z0-9+.\\-]{0,19}") ? scheme + ":" : "(invalid)";
        }
        try
        {
            URI uri = new URI(value);
            if (uri.getScheme() == null || uri.getHost() == null)
                return "(invalid)";
            return uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        }
        catch (URISyntaxException e)
        {
            return "(invalid)";
        }
    }

    static String documentPath(String raw)
    {
        try
        {
            URI uri = new URI(raw.trim());
            String path = uri.getRawPath();
            return path == null || path.isEmpty() ? "/" : printable(path, 200);
        }
        catch (URISyntaxException e)
        {
            return "(invalid)";
        }
    }

    private static String printable(String text, int max)
    {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < max; i++)
        {
            char c = text.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return out.toString();
    }

    void rejectedRateLimited()
    {
        rateLimited.incrementAndGet();
    }

    void rejectedTooLarge()
    {
        tooLarge.incrementAndGet();
    }

    void rejectedMalformed()
    {
        malformed.incrementAndGet();
    }

    long total()
    {
        return total.get();
    }

    /**
     * @return the count for a directive and blocked source, e.g. {@code ("script-src-elem", "inline")}
     */
    long count(String directive, String blocked)
    {
        Entry entry = entries.get(directive + ' ' + blocked);
        return entry == null ? 0 : entry.count.get();
    }

    /**
     * @return the summary: totals, rejections and the pairs, most frequent first
     */
    String summaryJson()
    {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("total", total.get());
        Map<String, Object> rejected = new LinkedHashMap<>();
        rejected.put("rate-limited", rateLimited.get());
        rejected.put("too-large", tooLarge.get());
        rejected.put("malformed", malformed.get());
        rejected.put("not-csp", ignored.get());
        summary.put("rejected", rejected);
        Map<String, Object> formats = new LinkedHashMap<>();
        formats.put("report-uri", viaReportUri.get());
        formats.put("reporting-api", viaReportingApi.get());
        summary.put("formats", formats);
        List<Map<String, Object>> violations = new ArrayList<>();
        for (Entry entry : sorted())
        {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("directive", entry.directive);
            item.put("blocked", entry.blocked);
            item.put("count", entry.count.get());
            Last last = entry.last;
            item.put("first-seen", entry.firstSeen.toString());
            if (last != null)
            {
                item.put("last-seen", last.time().toString());
                item.put("last-document", last.document());
                item.put("last-disposition", last.disposition());
                if (!last.sample().isEmpty())
                    item.put("last-sample", last.sample());
            }
            violations.add(item);
        }
        summary.put("violations", violations);
        return Json.write(summary);
    }

    private List<Entry> sorted()
    {
        List<Entry> list = new ArrayList<>(entries.values());
        list.sort(Comparator.comparingLong((Entry entry) -> entry.count.get()).reversed().thenComparing(entry -> entry.directive + ' ' + entry.blocked));
        return list;
    }

    /**
     * Logs the table when reports arrived since the last time.
     */
    void logIfChanged()
    {
        long now = total.get();
        if (now == loggedTotal)
            return;
        loggedTotal = now;
        List<Entry> list = sorted();
        LOG.info("CSP violations so far: {} in {} kinds (rejected: {} rate-limited, {} too large, {} malformed); most frequent:",
            now, list.size(), rateLimited.get(), tooLarge.get(), malformed.get());
        for (Entry entry : list.subList(0, Math.min(20, list.size())))
            LOG.info("  {} x {} blocked {} (last on {})", entry.count.get(), entry.directive, entry.blocked, entry.last == null ? "?" : entry.last.document());
    }

    private static final class Entry
    {
        final String directive;
        final String blocked;
        final Instant firstSeen;
        final AtomicLong count = new AtomicLong();
        volatile Last last;

        Entry(String directive, String blocked, Instant firstSeen)
        {
            this.directive = directive;
            this.blocked = blocked;
            this.firstSeen = firstSeen;
        }
    }

    private record Last(Instant time, String document, String sample, String disposition)
    {
    }
}
