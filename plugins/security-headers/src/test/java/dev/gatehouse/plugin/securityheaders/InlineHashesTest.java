package dev.gatehouse.plugin.securityheaders;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class InlineHashesTest
{
    /**
     * The example of the CSP specification and MDN: {@code alert('Hello, world.');}.
     */
    private static final String HELLO_HASH = "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='";

    @Test
    void hashesTheSpecificationExample()
    {
        assertEquals(HELLO_HASH, InlineHashes.sha256("alert('Hello, world.');"));
        InlineHashes hashes = InlineHashes.of("<!doctype html><SCRIPT>alert('Hello, world.');</Script>");
        assertEquals(List.of(HELLO_HASH), hashes.scripts());
        assertEquals(List.of(), hashes.styles());
    }

    @Test
    void hashesInlineScriptsAndStylesOnly()
    {
        String html = """
            <html><head>
            <script src="/app.js"></script>
            <script type="application/ld+json">{"a":1}</script>
            <script type=module>import('/x.js')</script>
            <script data-x="a>b">alert('Hello, world.');</script>
            <style media="screen">body{color:red}</style>
            <!-- <script>not me</script> -->
            <scripts>not an element we know</scripts>
            </head><body onclick="ignored()"><div style="color:blue"></div>
            <script>alert('Hello, world.');</script>
            </body></html>
            """;
        InlineHashes hashes = InlineHashes.of(html);
        assertEquals(List.of(InlineHashes.sha256("import('/x.js')"), HELLO_HASH), hashes.scripts());
        assertEquals(List.of(InlineHashes.sha256("body{color:red}")), hashes.styles());
    }

    @Test
    void normalisesLineBreaksAsTheBrowserDoes()
    {
        InlineHashes hashes = InlineHashes.of("<script>\r\nlet a = 1;\rlet b = 2;\r\n</script>");
        assertEquals(List.of(InlineHashes.sha256("\nlet a = 1;\nlet b = 2;\n")), hashes.scripts());
    }

    @Test
    void anUnclosedScriptRunsToTheEnd()
    {
        assertEquals(List.of(InlineHashes.sha256("x()")), InlineHashes.of("<script>x()").scripts());
        assertEquals(List.of(InlineHashes.sha256("")), InlineHashes.of("<script></script>").scripts());
    }
}
