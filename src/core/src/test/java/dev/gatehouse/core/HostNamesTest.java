package dev.gatehouse.core;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HostNamesTest
{
    @Test
    void namesAreLowerCasedWithoutTrailingDotAndDuplicates()
    {
        assertEquals(List.of("plex.example.com", "*.example.com", "192.168.1.10", "localhost"),
            HostNames.normalize(List.of("Plex.Example.COM", "*.example.com", "plex.example.com.", "192.168.1.10", "localhost")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://plex.example.com", "plex.example.com:443", "plex.example.com/web", "*.com", "a.*.example.com", "*example.com",
        "-plex.example.com", "plex..example.com", "pl ex.example.com", "::1", "[::1]", ""})
    void whatIsNotAHostNameIsRefusedWithTheValue(String name)
    {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> HostNames.normalize(List.of(name)));
        assertEquals("'" + name + "' is not a host name; use names like plex.example.com or *.example.com, without scheme, port or path", refused.getMessage());
    }
}
