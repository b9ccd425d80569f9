package dev.gatehouse.plugin.securityheaders;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CspEditsTest
{
    @Test
    void parsesDirectivesAndSources()
    {
        CspEdits edits = CspEdits.parse(" img-src https://example.com  DATA: ; connect-src wss://x.example.com:8443 'SELF';upgrade-insecure-requests ", false);
        assertEquals(Map.of(
            "img-src", List.of("https://example.com", "data:"),
            "connect-src", List.of("wss://x.example.com:8443", "'self'"),
            "upgrade-insecure-requests", List.of()), edits.directives());
    }

    @Test
    void acceptsWildcardsPortsPathsAndHashes()
    {
        CspEdits edits = CspEdits.parse("media-src https://*.plex.direct:* *.example.com:443 https://cdn.example.com/static/; script-src 'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='", false);
        assertEquals(3, edits.directives().get("media-src").size());
        assertEquals(List.of("'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"), edits.directives().get("script-src"));
    }

    @Test
    void aRemovalMayNameADirectiveAlone()
    {
        assertEquals(Map.of("frame-ancestors", List.of(), "img-src", List.of("data:")), CspEdits.parse("frame-ancestors; img-src data:", true).directives());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "img-src self|directive 1 ('img-src'): 'self' must be quoted: write 'self' with single quotes",
        "imgsrc https://x.example|directive 1 ('imgsrc') is not a CSP directive; did you mean img-src?",
        "https://x.example|directive 1 ('https://x.example') is a source, not a directive name; write the directive first, e.g. 'img-src https://x.example'",
        "img-src https://a.example, https://b.example|',' is not allowed: separate directives with ';' and sources with spaces (a comma would start a second policy)",
        "script-src 'nonce-abc'|directive 1 ('script-src'): nonces are per response and cannot be configured; use a hash ('sha256-...') or a host",
        "script-src 'unsafe-everything'|directive 1 ('script-src'): 'unsafe-everything' is not a CSP keyword (known: 'inline-speculation-rules' 'none' 'report-sample' 'self' 'strict-dynamic' 'unsafe-eval' 'unsafe-hashes' 'unsafe-inline' 'wasm-unsafe-eval')",
        "script-src 'sha256-abc'|directive 1 ('script-src'): 'sha256-abc' has the wrong length for sha256",
        "report-uri /x|directive 1 ('report-uri') is written by Gatehouse from gatehouse.security-headers.report-path and report-to; set those instead",
        "prefetch-src 'self'|directive 1 ('prefetch-src') is not supported: it was removed from CSP Level 3 and browsers ignore it with a console warning",
        "img-src|directive 1 ('img-src') lists no sources; write e.g. 'img-src https://example.com'",
        "img-src 'none'|directive 1 ('img-src'): 'none' cannot be added; to block everything a directive allows, remove its sources (csp-remove) and it becomes 'none'",
        "upgrade-insecure-requests https:|directive 1 ('upgrade-insecure-requests') takes no sources",
        "img-src https://exa_mple.com/|directive 1 ('img-src'): 'https://exa_mple.com/' is not a host source; write e.g. https://example.com, *.example.com:443 or https://*.plex.direct:*",
        "frame-ancestors 'unsafe-inline'|directive 1 ('frame-ancestors'): frame-ancestors accepts only 'self', 'none', schemes and hosts, not 'unsafe-inline'",
    })
    void reportsMistakesPrecisely(String text, String message)
    {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> CspEdits.parse(text, false));
        assertEquals(message, error.getMessage());
    }

    @Test
    void reportsEveryMistakeAtOnce()
    {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> CspEdits.parse("img-src self; conect-src wss://x", false));
        assertTrue(error.getMessage().contains("'self' must be quoted"), error.getMessage());
        assertTrue(error.getMessage().contains("did you mean connect-src?"), error.getMessage());
    }

    @Test
    void editsReplaceNoneAndLeaveNoneBehind()
    {
        ContentSecurityPolicy base = ContentSecurityPolicy.builder()
            .directive("default-src", "'none'")
            .directive("img-src", "'self' data:")
            .directive("frame-ancestors", "'none'")
            .build();
        ContentSecurityPolicy edited = base.edit(CspEdits.parse("img-src 'self' data:", true), CspEdits.parse("frame-ancestors https://dash.example.com; font-src 'self'", false));
        assertEquals("default-src 'none'; img-src 'none'; frame-ancestors https://dash.example.com; font-src 'self'", edited.render());
        assertEquals("default-src 'none'; frame-ancestors 'none'", base.edit(CspEdits.parse("img-src", true), CspEdits.none()).render());
    }
}
