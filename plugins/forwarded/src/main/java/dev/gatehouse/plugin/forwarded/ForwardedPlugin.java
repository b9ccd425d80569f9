package dev.gatehouse.plugin.forwarded;

import com.google.inject.Module;
import com.google.inject.Singleton;
import dev.gatehouse.plugin.forwarded.ForwardedConfig.Preset;
import dev.gatehouse.plugin.forwarded.ForwardedConfig.ProxyEntry;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.Problems;
import dev.gatehouse.spi.Slot;

/**
 * RFC1918-aware forwarded headers: the real client address from trusted proxies only, and
 * rebuilt forwarded headers upstream. Contributes no handler: a connector customizer (inbound,
 * so every handler and the request log see the client) and an upstream customizer (outbound).
 *
 * <p>Slot {@link Slot#ACCESS}: the slot only orders the plugins' upstream customizers here.
 * ACCESS puts this one after the response-header plugins and before users' plugins, so a user
 * plugin sees, and may deliberately adjust, the final forwarded headers; and client identity is
 * an access concern.</p>
 */
public final class ForwardedPlugin implements GatehousePlugin<ForwardedConfig>
{
    public static final String ID = "forwarded";

    @Override
    public String id()
    {
        return ID;
    }

    @Override
    public Slot slot()
    {
        return Slot.ACCESS;
    }

    @Override
    public Class<ForwardedConfig> configClass()
    {
        return ForwardedConfig.class;
    }

    @Override
    public void validate(ForwardedConfig config, Problems problems)
    {
        for (ProxyEntry entry : config.internalProxyEntries())
        {
            if (entry.preset() == Preset.CLOUDFLARE)
                problems.report("internal-proxies", "'cloudflare' is an external CDN: list it in trusted-proxies (or cf-connecting-ip-from), which may not present LAN addresses; as an internal proxy anyone on the Internet could claim to be on your LAN");
        }
        if (config.getCloudflareIpsFile() == null || config.getCloudflareIpsFile().toString().isBlank())
            problems.report("cloudflare-ips-file", "must name a file");
    }

    @Override
    public Module module(ForwardedConfig config)
    {
        return binder ->
        {
            // One instance: the listeners call it and the server starts it (it reads the Cloudflare file).
            binder.bind(ForwardedCustomizer.class).in(Singleton.class);
            Contributions.connectorCustomizers(binder).addBinding().to(ForwardedCustomizer.class);
            Contributions.managedBeans(binder).addBinding().to(ForwardedCustomizer.class);
            Contributions.upstreamCustomizers(binder).addBinding().to(ForwardedUpstreamCustomizer.class);
        };
    }
}
