package dev.gatehouse.plugin.plexdirect;

import java.net.Inet6Address;

import dev.gatehouse.spi.IpLiterals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlexDirectNameTest
{
    private static final String HASH = "9124ef18d3ae4c7c9dc12a4a47b1d5d3";

    @Test
    void ipv4NameGivesTheAddressAndKeepsTheName()
    {
        PlexDirectName name = PlexDirectName.parse("192-168-2-44." + HASH + ".plex.direct");
        assertEquals(IpLiterals.parse("192.168.2.44"), name.address());
        assertEquals(HASH, name.hash());
        assertEquals("192-168-2-44." + HASH + ".plex.direct", name.addressNamed().getHostName());
    }

    @Test
    void upperCaseIsNormalised()
    {
        assertEquals("10-0-0-5." + HASH + ".plex.direct", PlexDirectName.parse("10-0-0-5." + HASH.toUpperCase() + ".PLEX.DIRECT").name());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // Plex's own form (research/plex.md 2): fully expanded, zero-padded groups.
        "240e-03a1-02f1-9f70-ca8a-d8ff-fe32-766b, 240e:3a1:2f1:9f70:ca8a:d8ff:fe32:766b",
        // Expanded without padding.
        "2001-db8-0-0-0-0-0-1, 2001:db8::1",
        // Compressed: :: written --.
        "2001-db8--1, 2001:db8::1",
        "fd00--5, fd00::5",
        "fe80--, fe80::",
    })
    void ipv6FormsParse(String label, String expected)
    {
        PlexDirectName name = PlexDirectName.parse(label + "." + HASH + ".plex.direct");
        assertInstanceOf(Inet6Address.class, name.address());
        assertEquals(IpLiterals.parse(expected), name.address());
        assertTrue(name.isIpv6());
    }

    @Test
    void derivedNamesUsePlexsForms()
    {
        assertEquals("10-0-20-107." + HASH + ".plex.direct", PlexDirectName.of(IpLiterals.parse("10.0.20.107"), HASH).name());
        assertEquals("2001-0db8-0000-0000-0000-0000-0000-0001." + HASH + ".plex.direct", PlexDirectName.of(IpLiterals.parse("2001:db8::1"), HASH).name());
        // IPv4-mapped IPv6 is written as IPv4.
        assertEquals("10-0-0-1." + HASH + ".plex.direct", PlexDirectName.of(IpLiterals.parse("::ffff:10.0.0.1"), HASH).name());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "10-0-0-5.9124ef18d3ae4c7c9dc12a4a47b1d5d.plex.direct",      // 31 hex digits
        "10-0-0-5.9124ef18d3ae4c7c9dc12a4a47b1d5d3a.plex.direct",    // 33
        "10-0-0-5.9124ef18d3ae4c7c9dc12a4a47b1d5dz.plex.direct",     // not hex
        "10-0-0-5.YouCanWriteAnythingInHere1234567.plex.direct",    // Plex's DNS accepts it; we do not
        "10-0-0-256.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",
        "10-0-0-05.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",    // leading zero
        "10-0-0.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",
        "10.0.0.5.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",     // dots, not dashes
        "x.10-0-0-5.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",
        "9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",
        "plex.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",
        "-2001-db8--1.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",
        "2001-db8---1.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",
        "2001-db8--1--2.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",
        "2001-db8-0-0-0-0-0-0-1.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",
        "--ffff-a00-1.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct",  // IPv4-mapped: write IPv4
        "10-0-0-5.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.direct.",
        "10-0-0-5.9124ef18d3ae4c7c9dc12a4a47b1d5d3.plex.directx",
        "10-0-0-5.9124ef18d3ae4c7c9dc12a4a47b1d5d3.example.com",
    })
    void invalidNamesAreRejected(String host)
    {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> PlexDirectName.parse(host));
        assertTrue(error.getMessage().length() > 20, error.getMessage());
    }

    @Test
    void theMessageSaysWhatIsWrong()
    {
        String message = assertThrows(IllegalArgumentException.class, () -> PlexDirectName.parse("10-0-0-5.abc.plex.direct")).getMessage();
        assertTrue(message.contains("32 hexadecimal digits"), message);
    }
}
