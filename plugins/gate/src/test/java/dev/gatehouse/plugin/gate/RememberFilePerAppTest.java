package dev.gatehouse.plugin.gate;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RememberFilePerAppTest
{
    @Test
    void theDefaultAppKeepsTheConfiguredFileAndEveryOtherAppItsOwn()
    {
        Path configured = Path.of("/base/state/gate-remembered-networks.txt");
        assertEquals(configured, GatePlugin.rememberFile(configured, "default"));
        assertEquals(Path.of("/base/state/gate-remembered-networks-jellyfin.txt"), GatePlugin.rememberFile(configured, "jellyfin"));
        assertEquals(Path.of("/base/state/remembered-home-assistant"), GatePlugin.rememberFile(Path.of("/base/state/remembered"), "home-assistant"));
    }
}
