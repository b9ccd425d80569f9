package dev.gatehouse.plugin.plexdirect;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.Slot;
import org.eclipse.jetty.server.Handler;

/**
 * A plugin with a handler that does nothing; its presence changes the server's bean start order.
 */
public final class PassThroughPlugin implements GatehousePlugin<PassThroughPlugin.Settings>
{
    public static class Settings
    {
    }

    @Override
    public String id()
    {
        return "pass-through";
    }

    @Override
    public Slot slot()
    {
        return Slot.ACCESS;
    }

    @Override
    public Class<Settings> configClass()
    {
        return Settings.class;
    }

    @Override
    public Module module(Settings config)
    {
        return new AbstractModule()
        {
            @Override
            protected void configure()
            {
                Contributions.handler(binder()).toInstance(new Handler.Wrapper());
            }
        };
    }
}
