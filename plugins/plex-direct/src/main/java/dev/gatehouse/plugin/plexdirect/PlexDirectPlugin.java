package dev.gatehouse.plugin.plexdirect;

import java.net.Inet4Address;
import java.net.InetAddress;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.IpLiterals;
import dev.gatehouse.spi.Problems;
import dev.gatehouse.spi.Slot;

/**
 * Verified TLS to a Plex Media Server by its {@code *.<hash>.plex.direct} name, with no DNS, the
 * hash discovered from the server's certificate when only its address is configured, an IPv4
 * RFC1918 hop so that Plex honours {@code X-Forwarded-For}, and Plex's response quirks tolerated.
 *
 * <p>It contributes no handler: everything happens in the route's upstream client
 * ({@link PlexDirectCustomizer}) and in a lifecycle bean of that client ({@link PlexDirectRoute}).</p>
 */
public final class PlexDirectPlugin implements GatehousePlugin<PlexDirectConfig>
{
    public static final String ID = "plex-direct";

    @Override
    public String id()
    {
        return ID;
    }

    @Override
    public Slot slot()
    {
        return Slot.USER;
    }

    @Override
    public Class<PlexDirectConfig> configClass()
    {
        return PlexDirectConfig.class;
    }

    @Override
    public void validate(PlexDirectConfig config, Problems problems)
    {
        String source = config.getSourceAddress();
        if (!PlexDirectConfig.SOURCE_AUTO.equals(source) && !PlexDirectConfig.SOURCE_OS.equals(source))
        {
            InetAddress address = IpLiterals.parseOrNull(source);
            if (address == null)
                problems.report("source-address", "expected auto, os or a local IPv4 address such as 192.168.1.10, got '" + source + "'");
            else if (!(address instanceof Inet4Address))
                problems.report("source-address", source + " is IPv6: Plex ignores X-Forwarded-For from an IPv6 peer, so the hop must be IPv4 (use a local RFC1918 address such as 192.168.1.10)");
        }
    }

    @Override
    public Module module(PlexDirectConfig config)
    {
        return new AbstractModule()
        {
            @Override
            protected void configure()
            {
                Contributions.upstreamCustomizers(binder()).addBinding().to(PlexDirectCustomizer.class);
            }
        };
    }
}
