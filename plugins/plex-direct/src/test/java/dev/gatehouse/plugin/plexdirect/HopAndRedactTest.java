package dev.gatehouse.plugin.plexdirect;

import java.util.Map;

import dev.gatehouse.spi.IpLiterals;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HopAndRedactTest
{
    @Test
    void rfc1918IsTheThreePrivateBlocksOfIpv4Only()
    {
        for (String address : new String[]{"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.10", "::ffff:10.1.2.3"})
            assertTrue(Hop.isRfc1918(IpLiterals.parse(address)), address);
        for (String address : new String[]{"172.32.0.1", "127.0.0.1", "100.64.0.1", "8.8.8.8", "fd00::1", "::1"})
            assertFalse(Hop.isRfc1918(IpLiterals.parse(address)), address);
    }

    @Test
    void anIpv6HopIsWarnedAbout()
    {
        Hop.Decision decision = Hop.decide(PlexDirectConfig.SOURCE_OS, IpLiterals.parse("::1"));
        assertTrue(decision.warnings().stream().anyMatch(warning -> warning.contains("IPv6") && warning.contains("X-Forwarded-For")), decision.warnings().toString());
    }

    @Test
    void aLoopbackHopNeedsNoBindAndNoWarning()
    {
        Hop.Decision decision = Hop.decide(PlexDirectConfig.SOURCE_AUTO, IpLiterals.parse("127.0.0.1"));
        assertNull(decision.bind());
        assertTrue(decision.warnings().isEmpty(), decision.warnings().toString());
    }

    @Test
    void aConfiguredSourceIsBound()
    {
        Hop.Decision decision = Hop.decide("127.0.0.2", IpLiterals.parse("127.0.0.1"));
        assertEquals(IpLiterals.parse("127.0.0.2"), decision.bind());
    }

    @Test
    void anIpv4SourceCannotReachAnIpv6Upstream()
    {
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> Hop.decide("127.0.0.1", IpLiterals.parse("::1")));
        assertTrue(error.getMessage().contains("IPv6"), error.getMessage());
    }

    @Test
    void plexTokensAreRedactedInEveryForm()
    {
        assertEquals("/library/parts/1?X-Plex-Token=<redacted>&a=1", Redact.text("/library/parts/1?X-Plex-Token=abcDEF123&a=1"));
        assertEquals("x-plex-token: <redacted>", Redact.text("x-plex-token: abcDEF123"));
        assertEquals("/photo/:/transcode?url=%2Flibrary%3FX-Plex-Token%3D<redacted>%26w=1", Redact.text("/photo/:/transcode?url=%2Flibrary%3FX-Plex-Token%3DabcDEF123%26w=1"));
        assertEquals("{\"X-Plex-Token\": \"<redacted>\"}", Redact.text("{\"X-Plex-Token\": \"abcDEF123\"}"));
        assertEquals("a\\x0ab", Redact.text("a\nb"));
    }

    @Test
    void identityFieldsComeFromTheMediaContainer()
    {
        Map<String, String> xml = PlexDirectRoute.identityFields("<?xml version=\"1.0\"?><MediaContainer size=\"0\" claimed=\"1\" machineIdentifier=\"abc\" version=\"1.41.3\"/>");
        assertEquals(Map.of("claimed", "1", "machineIdentifier", "abc", "version", "1.41.3"), xml);
        Map<String, String> json = PlexDirectRoute.identityFields("{\"MediaContainer\":{\"size\":0,\"claimed\":true,\"machineIdentifier\":\"abc\",\"version\":\"1.41.3\"}}");
        assertEquals("abc", json.get("machineIdentifier"));
        assertEquals("1.41.3", json.get("version"));
    }
}
