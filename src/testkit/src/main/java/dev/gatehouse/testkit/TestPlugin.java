package dev.gatehouse.testkit;

import com.google.inject.Module;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.Slot;
import org.eclipse.jetty.server.Handler;

/**
 * A plugin with no configuration, made in one line for a test: a handler at a slot, or any Guice
 * module ({@link Contributions}).
 *
 * <pre>{@code
 * GatehouseHarness.builder().plugin(TestPlugin.handler("deny-all", Slot.ACCESS, new Handler.Wrapper() { ... }))
 * }</pre>
 */
public final class TestPlugin implements GatehousePlugin<TestPlugin.NoConfig>
{
    /**
     * The configuration of a plugin that has none.
     */
    public static final class NoConfig
    {
    }

    private final String id;
    private final Slot slot;
    private final Module module;

    private TestPlugin(String id, Slot slot, Module module)
    {
        this.id = id;
        this.slot = slot;
        this.module = module;
    }

    /**
     * @return a plugin whose module is the given one
     */
    public static TestPlugin of(String id, Slot slot, Module module)
    {
        return new TestPlugin(id, slot, module);
    }

    /**
     * @return a plugin that contributes this handler at this slot
     */
    public static TestPlugin handler(String id, Slot slot, Handler.Wrapper handler)
    {
        return new TestPlugin(id, slot, binder -> Contributions.handler(binder).toInstance(handler));
    }

    @Override
    public String id()
    {
        return id;
    }

    @Override
    public Slot slot()
    {
        return slot;
    }

    @Override
    public Class<NoConfig> configClass()
    {
        return NoConfig.class;
    }

    @Override
    public Module module(NoConfig config)
    {
        return module;
    }
}
