package dev.gatehouse.core.proxy;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardedHeadersTest
{
    /**
     * A field Jetty recognised is judged by its header, without building the canonical name: the
     * answer is the name's, for every header Jetty knows and in any case.
     */
    @Test
    void aKnownHeaderIsAClaimExactlyWhenItsNameIs()
    {
        for (HttpHeader header : HttpHeader.values())
        {
            boolean byName = ForwardedHeaders.isClientClaim(header.asString());
            assertEquals(byName, ForwardedHeaders.isClientClaim(new HttpField(header, "value")), header.asString());
            assertEquals(byName, ForwardedHeaders.isClientClaim(new HttpField(header, header.lowerCaseName(), "value")), header.lowerCaseName());
        }
        assertTrue(ForwardedHeaders.isClientClaim(new HttpField(HttpHeader.X_FORWARDED_FOR, "6.6.6.6")));
        assertTrue(ForwardedHeaders.isClientClaim(new HttpField(HttpHeader.FORWARDED, "for=6.6.6.6")));
        assertFalse(ForwardedHeaders.isClientClaim(new HttpField(HttpHeader.USER_AGENT, "curl")));
    }

    /** A field whose name is not its header's (made so by code, not by a parser) is judged by its name. */
    @Test
    void aFieldWhoseNameIsNotItsHeadersIsJudgedByItsName()
    {
        assertTrue(ForwardedHeaders.isClientClaim(new HttpField(HttpHeader.USER_AGENT, "X_Real.IP", "6.6.6.6")));
        assertFalse(ForwardedHeaders.isClientClaim(new HttpField(HttpHeader.X_FORWARDED_FOR, "X-Trace", "abc")));
        assertTrue(ForwardedHeaders.isClientClaim(new HttpField("cf-connecting-ip", "6.6.6.6")));
    }
}
