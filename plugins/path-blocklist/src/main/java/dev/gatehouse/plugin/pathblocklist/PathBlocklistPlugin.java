package dev.gatehouse.plugin.pathblocklist;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.Problems;
import dev.gatehouse.spi.Slot;

/**
 * Answers 404 (or 403) for configured path prefixes, e.g. an app's admin pages that must never be
 * reachable from the internet, except to clients of listed networks.
 *
 * <p>This is the example of the plugin kit: {@code scripts/new-plugin NAME} copies it.</p>
 */
public final class PathBlocklistPlugin implements GatehousePlugin<PathBlocklistConfig>
{
    @Override
    public String id()
    {
        return "path-blocklist";
    }

    @Override
    public Slot slot()
    {
        // A user plugin: it sees admitted requests with the real client address.
        return Slot.USER;
    }

    @Override
    public Class<PathBlocklistConfig> configClass()
    {
        return PathBlocklistConfig.class;
    }

    @Override
    public void validate(PathBlocklistConfig config, Problems problems)
    {
        for (String path : config.getPaths())
        {
            if (!path.startsWith("/"))
                problems.report("paths", "'" + path + "' does not start with '/'");
        }
    }

    @Override
    public Module module(PathBlocklistConfig config)
    {
        return new AbstractModule()
        {
            @Override
            protected void configure()
            {
                // The config instance is bound by the host; the handler gets it injected.
                Contributions.handler(binder()).to(PathBlocklistHandler.class);
            }
        };
    }
}
