package dev.gatehouse.plugin.securityheaders;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonTest
{
    @Test
    void readsReports()
    {
        Object value = Json.parse(" {\"csp-report\": {\"blocked-uri\": \"inline\", \"line-number\": 12, \"x\": [true, false, null, -1.5e3], \"s\": \"a\\u0041\\n\"}} ");
        assertEquals(Map.of("csp-report", Map.of("blocked-uri", "inline", "line-number", "12", "x", java.util.Arrays.asList(true, false, null, "-1.5e3"), "s", "aA\n")), value);
    }

    @Test
    void refusesWhatIsNotJsonOrNestsTooDeeply()
    {
        for (String bad : List.of("", "{", "{\"a\":}", "[1,]", "{'a':1}", "01", "\"a\u0001\"", "[] []", "nul"))
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[".repeat(10_000) + "]".repeat(10_000)));
    }

    @Test
    void writesEscaped()
    {
        assertEquals("{\"a\":[1,\"<b>\\\"\"]}", Json.write(Map.of("a", List.of(1, "<b>\""))).replace("\\u003c", "<").replace("\\u003e", ">"));
        assertEquals("\"\\u003cscript\\u003e\"", Json.write("<script>"));
    }
}
