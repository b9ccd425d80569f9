package dev.gatehouse.plugin.gate;

import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TokenVerifier#isCompactJws} replaced a regular expression (for speed); it must accept
 * exactly what the expression accepted.
 */
class TokenShapeTest
{
    private static final Pattern COMPACT_JWS = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

    @Test
    void namedCases()
    {
        assertTrue(TokenVerifier.isCompactJws("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln-_09AZaz"));
        for (String rejected : List.of("", ".", "..", "a.b", "a.b.", ".b.c", "a..c", "a.b.c.d", "a.b.c.d.e", "a.b.c=",
            "a.b.c ", " a.b.c", "a.b+.c", "a.b/.c", "a.b.c\n", "a.\u00e9.c", "a.b.\u0661", "a.b.c\u0000"))
            assertFalse(TokenVerifier.isCompactJws(rejected), rejected);
    }

    @Test
    void agreesWithTheRegularExpressionOnRandomStrings()
    {
        char[] alphabet = {'a', 'Z', '0', '9', '_', '-', '.', '.', '.', '=', '+', '/', ' ', '\u00e9', '\n'};
        Random random = new Random(20261121);
        for (int i = 0; i < 200_000; i++)
        {
            char[] text = new char[random.nextInt(10)];
            for (int j = 0; j < text.length; j++)
                text[j] = alphabet[random.nextInt(alphabet.length)];
            String candidate = new String(text);
            assertEquals(COMPACT_JWS.matcher(candidate).matches(), TokenVerifier.isCompactJws(candidate), candidate);
        }
    }
}
