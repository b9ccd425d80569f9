package dev.gatehouse.plugin.securityheaders;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.hpack.HpackDecoder;
import org.eclipse.jetty.http2.hpack.HpackEncoder;
import org.eclipse.jetty.util.BufferUtil;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyFieldTest
{
    private static final String PERMISSIONS = "camera=(), microphone=(), geolocation=()";

    @Test
    void http1BytesKeepTheNamesCase()
    {
        ByteBuffer buffer = BufferUtil.allocate(256);
        BufferUtil.clearToFill(buffer);
        new PolicyField("Permissions-Policy", PERMISSIONS).putTo(buffer, HttpVersion.HTTP_1_1);
        BufferUtil.flipToFlush(buffer, 0);
        assertEquals("Permissions-Policy: " + PERMISSIONS + "\r\n", BufferUtil.toString(buffer, StandardCharsets.ISO_8859_1));
    }

    @Test
    void theLowerCaseNameIsMadeOnce()
    {
        PolicyField field = new PolicyField("Cross-Origin-Opener-Policy", "same-origin");
        assertEquals("cross-origin-opener-policy", field.getLowerCaseName());
        assertSame(field.getLowerCaseName(), field.getLowerCaseName(), "the same string on every response, not a new one");
        assertEquals("strict-transport-security", new PolicyField(HttpHeader.STRICT_TRANSPORT_SECURITY, "max-age=1").getLowerCaseName());
    }

    @Test
    void aValueThatCouldEndTheHeaderIsRefused()
    {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new PolicyField("Permissions-Policy", "camera=()\r\nSet-Cookie: a=b"));
        assertTrue(refused.getMessage().startsWith("not a legal header value"), refused.getMessage());
    }

    /** HTTP/2: sent literally and indexed the first time, then as its index only, and decoded intact both times. */
    @Test
    void http2IndexesItAfterTheFirstResponse() throws Exception
    {
        HpackEncoder encoder = new HpackEncoder();
        HpackDecoder decoder = new HpackDecoder(8192, System::nanoTime);
        PolicyField field = new PolicyField("Permissions-Policy", PERMISSIONS);
        int[] sizes = new int[2];
        for (int i = 0; i < 2; i++)
        {
            HttpFields fields = HttpFields.build().add(field).asImmutable();
            ByteBuffer buffer = BufferUtil.allocate(1024);
            BufferUtil.clearToFill(buffer);
            encoder.encode(buffer, new MetaData.Response(200, null, HttpVersion.HTTP_2, fields));
            BufferUtil.flipToFlush(buffer, 0);
            sizes[i] = buffer.remaining();
            MetaData decoded = decoder.decode(buffer);
            assertEquals(PERMISSIONS, decoded.getHttpFields().get("permissions-policy"));
        }
        assertTrue(sizes[0] > PERMISSIONS.length() / 2, "first: the field's bytes (" + sizes[0] + ")");
        assertTrue(sizes[1] <= 3, "second: the status and the field's index (" + sizes[1] + " bytes)");
    }
}
