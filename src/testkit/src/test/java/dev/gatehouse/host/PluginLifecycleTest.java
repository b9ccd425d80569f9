package dev.gatehouse.host;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.Slot;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestPlugin;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jetty owns the plugins' lifecycle: started in order, stopped in reverse, and what started is
 * stopped again when a later component fails to start.
 */
class PluginLifecycleTest
{
    static final List<String> EVENTS = new CopyOnWriteArrayList<>();

    static final class Recorder extends AbstractLifeCycle
    {
        private final String name;
        private final boolean fail;

        Recorder(String name, boolean fail)
        {
            this.name = name;
            this.fail = fail;
        }

        @Override
        protected void doStart()
        {
            if (fail)
                throw new IllegalStateException(name + " cannot start");
            EVENTS.add("start " + name);
        }

        @Override
        protected void doStop()
        {
            EVENTS.add("stop " + name);
        }
    }

    static TestPlugin recording(String id, Slot slot, boolean failing)
    {
        return TestPlugin.of(id, slot, binder -> Contributions.managedBeans(binder).addBinding().toInstance(new Recorder(id, failing)));
    }

    @Test
    void pluginsStartInChainOrderAndStopInReverse()
    {
        EVENTS.clear();
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness ignored = GatehouseHarness.builder()
                 .upstream(upstream.uri())
                 .plugin(recording("second", Slot.USER, false))
                 .plugin(recording("first", Slot.RESPONSE_HEADERS, false))
                 .start())
        {
            assertEquals(List.of("start first", "start second"), EVENTS);
        }
        assertEquals(List.of("start first", "start second", "stop second", "stop first"), EVENTS);
    }

    @Test
    void aFailedStartStopsWhatAlreadyStarted()
    {
        EVENTS.clear();
        try (StandInUpstream upstream = StandInUpstream.plain())
        {
            GatehouseHarness.Builder builder = GatehouseHarness.builder()
                .upstream(upstream.uri())
                .plugin(recording("healthy", Slot.RESPONSE_HEADERS, false))
                .plugin(recording("broken", Slot.USER, true));
            RuntimeException failure = assertThrows(RuntimeException.class, builder::start);
            assertTrue(String.valueOf(failure.getMessage()).contains("broken cannot start") || String.valueOf(failure.getCause()).contains("broken cannot start"), String.valueOf(failure));
        }
        // The healthy plugin's component was started and is stopped again; the broken one never ran
        // (stopping the failed component afterwards is Jetty's clean-up and harmless).
        assertEquals(List.of("start healthy", "stop healthy"), EVENTS.subList(0, 2));
        assertTrue(EVENTS.stream().noneMatch(event -> event.equals("start broken")), EVENTS.toString());
    }
}
