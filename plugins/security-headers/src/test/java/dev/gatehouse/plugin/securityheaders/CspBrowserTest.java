package dev.gatehouse.plugin.securityheaders;

import java.util.List;
import java.util.Map;

import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real browser (Debian's chromium, headless, driven by playwright-core, loopback only) loads a
 * page with inline scripts and a style through Gatehouse with the plex preset: the page's own code
 * runs with no violation, code injected afterwards is blocked, and the browser's report reaches
 * the collector.
 */
class CspBrowserTest
{
    static final String PAGE = """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>stand-in app</title>
        <style>#status { color: rgb(0, 128, 0); }</style>
        <script>
          window.pageScriptRan = true;
          document.addEventListener('DOMContentLoaded', () => { document.getElementById('status').textContent = 'ok'; });
        </script>
        </head><body><p id="status">pending</p>
        <script>window.secondScript = 42;</script>
        </body></html>
        """;

    @BeforeAll
    static void toolsPresent()
    {
        NodeTools.assumeAvailable("playwright-core");
    }

    @Test
    void thePagesOwnCodeRunsInjectedCodeIsBlockedAndReported() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain().handler(new Pages().html("/web/index.html", PAGE, "ETag", "\"1\""));
             GatehouseHarness gatehouse = SecurityHeadersTest.start(upstream, "gatehouse.security-headers.preset", "plex"))
        {
            Map<?, ?> result = browse(gatehouse);
            assertEquals("200", String.valueOf(result.get("status")));
            String csp = (String)result.get("csp");
            assertFalse(csp.contains("'unsafe-inline'"), csp);
            Map<?, ?> before = (Map<?, ?>)result.get("before");
            assertEquals(true, before.get("pageScriptRan"), "inline script 1 ran: " + result);
            assertEquals(true, before.get("secondScriptRan"), "inline script 2 ran: " + result);
            assertEquals("ok", before.get("statusText"));
            assertEquals("rgb(0, 128, 0)", before.get("statusColor"), "the inline style applied");
            assertEquals(List.of(), before.get("violations"), "the page's own code causes no violation");

            Map<?, ?> after = (Map<?, ?>)result.get("after");
            assertEquals(false, after.get("injectedRan"), "an injected inline script is blocked");
            assertEquals(false, after.get("injectedHandlerRan"), "an injected event handler is blocked");
            List<?> violations = (List<?>)after.get("violations");
            assertTrue(violations.stream().anyMatch(v -> "script-src-elem".equals(((Map<?, ?>)v).get("directive")) && "inline".equals(((Map<?, ?>)v).get("blocked"))), String.valueOf(violations));

            ViolationCollector collector = gatehouse.gatehouse().server().getDescendants(SecurityHeadersHandler.class).get(0).collector();
            assertTrue(collector.count("script-src-elem", "inline") >= 1, "the browser's report reached the collector: " + collector.summaryJson());
            System.out.println("browser test: report arrived after " + result.get("reportWaitMs") + " ms; summary " + collector.summaryJson());
        }
    }

    @Test
    void withoutHashesTheSamePageIsBlocked() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain().handler(new Pages().html("/web/index.html", PAGE));
             GatehouseHarness gatehouse = SecurityHeadersTest.start(upstream, "gatehouse.security-headers.inline-hashes", "false"))
        {
            Map<?, ?> result = browse(gatehouse);
            Map<?, ?> before = (Map<?, ?>)result.get("before");
            assertEquals(false, before.get("pageScriptRan"), "the control: the browser really enforces the policy: " + result);
            assertEquals("pending", before.get("statusText"));
        }
    }

    private static Map<?, ?> browse(GatehouseHarness gatehouse) throws Exception
    {
        NodeTools.Result run = NodeTools.run(Map.of("REPORT_WAIT_MS", "20000"), 90, "csp-browser-test.mjs", gatehouse.uri("/web/index.html").toString());
        String line = run.jsonLine();
        assertNotNull(line, "the browser script printed no result (exit " + run.exitCode() + "): " + run.stderr() + run.stdout());
        return (Map<?, ?>)Json.parse(line);
    }
}
