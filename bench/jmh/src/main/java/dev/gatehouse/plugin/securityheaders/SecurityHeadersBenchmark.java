package dev.gatehouse.plugin.securityheaders;

import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http.HttpFields;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the security-headers plugin does to a response's headers at commit, with the shipped
 * defaults (preset plex): {@code applyCommon} on every response (removes Server, X-Powered-By and
 * the like, puts the fixed headers and HSTS) and, for an HTML document, {@code applyDocument}
 * (renders the CSP, no inline hashes, with the Reporting-Endpoints header). The headers are a
 * copy of a Plex-like upstream response, made inside the measurement (a real response has them).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class SecurityHeadersBenchmark
{
    private HeaderPolicy policy;
    private HttpFields upstream;

    @Setup
    public void setUp()
    {
        SecurityHeadersConfig config = new SecurityHeadersConfig();
        policy = HeaderPolicy.of(Preset.PLEX, config, "/.well-known/gatehouse/csp-report");
        upstream = HttpFields.build()
            .put("Content-Type", "text/html; charset=utf-8")
            .put("Content-Length", "3412")
            .put("Date", "Sat, 21 Nov 2026 08:00:00 GMT")
            .put("Cache-Control", "no-cache")
            .put("X-Plex-Protocol", "1.0")
            .put("Server", "PlexMediaServer")
            .put("X-Powered-By", "Express")
            .put("Access-Control-Allow-Origin", "*")
            .put("Vary", "Origin, X-Plex-Token")
            .asImmutable();
    }

    @Benchmark
    public HttpFields baselineCopyOnly()
    {
        return HttpFields.build(upstream);
    }

    @Benchmark
    public HttpFields everyResponse()
    {
        HttpFields.Mutable headers = HttpFields.build(upstream);
        policy.applyCommon(headers, true);
        return headers;
    }

    @Benchmark
    public HttpFields htmlDocument()
    {
        HttpFields.Mutable headers = HttpFields.build(upstream);
        policy.applyCommon(headers, true);
        policy.applyDocument(headers, null, "https://plex.example.com");
        return headers;
    }
}
