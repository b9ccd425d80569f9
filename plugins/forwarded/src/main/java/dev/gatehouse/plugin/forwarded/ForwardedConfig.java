package dev.gatehouse.plugin.forwarded;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.gatehouse.spi.Cidr;
import dev.gatehouse.spi.Config;

/**
 * The {@code gatehouse.forwarded.*} properties. Field initialisers are the defaults.
 */
public class ForwardedConfig
{
    /**
     * The names that stand for a list of blocks in the proxy lists.
     */
    public enum Preset
    {
        /**
         * 127.0.0.0/8 and ::1: a proxy (or cloudflared) on this machine.
         */
        LOOPBACK(List.of("127.0.0.0/8", "::1/128")),
        /**
         * RFC 1918, IPv6 unique-local fc00::/7 and loopback. Link-local (169.254/16, fe80::/10) is
         * left out on purpose: it is any device on the segment, self-assigned, and IPv6 link-local
         * peers need zone ids; list it explicitly if a proxy really uses it. CGNAT 100.64/10 is
         * left out too: it is an ISP's (or Tailscale's) space, not the LAN.
         */
        PRIVATE(List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "127.0.0.0/8", "::1/128")),
        /**
         * Cloudflare's published edge ranges, read at start-up from {@code cloudflare-ips-file}.
         */
        CLOUDFLARE(List.of());

        private final List<Cidr> blocks;

        Preset(List<String> blocks)
        {
            this.blocks = blocks.stream().map(Cidr::parse).toList();
        }

        public List<Cidr> blocks()
        {
            return blocks;
        }

        public String text()
        {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One entry of a proxy list: a preset or a block.
     */
    public record ProxyEntry(Preset preset, Cidr block)
    {
        static ProxyEntry parse(String text)
        {
            String trimmed = text.trim();
            for (Preset preset : Preset.values())
            {
                if (preset.text().equalsIgnoreCase(trimmed))
                    return new ProxyEntry(preset, null);
            }
            try
            {
                return new ProxyEntry(null, Cidr.parse(trimmed));
            }
            catch (IllegalArgumentException e)
            {
                throw new IllegalArgumentException(e.getMessage() + " (or one of the presets loopback, private, cloudflare)");
            }
        }

        @Override
        public String toString()
        {
            return preset != null ? preset.text() : block.toString();
        }
    }

    public enum UpstreamChain
    {
        /**
         * {@code X-Forwarded-For: <client>}: one address, what Plex reads.
         */
        CLIENT,
        /**
         * {@code X-Forwarded-For: <client>, <proxy>, ..., <peer>}: the verified chain only.
         */
        CHAIN
    }

    private List<ProxyEntry> trustedProxies = List.of();
    private List<ProxyEntry> internalProxies = List.of();
    private List<ProxyEntry> cfConnectingIpFrom = List.of();
    private HeaderSource header = HeaderSource.X_FORWARDED_FOR;
    private Path cloudflareIpsFile = Path.of("etc/gatehouse/cloudflare-ips.txt");
    private boolean acceptProto = true;
    private boolean acceptHost = false;
    private boolean acceptPort = false;
    private int maxHops = 20;
    private UpstreamChain upstreamXForwardedFor = UpstreamChain.CLIENT;
    private boolean upstreamForwarded = false;

    public List<String> getTrustedProxies()
    {
        return texts(trustedProxies);
    }

    @Config(value = "trusted-proxies", description = "external proxies (a CDN): may present public client addresses only; CIDRs or presets loopback, private, cloudflare")
    public void setTrustedProxies(List<String> entries)
    {
        trustedProxies = parse(entries);
    }

    public List<String> getInternalProxies()
    {
        return texts(internalProxies);
    }

    @Config(value = "internal-proxies", description = "your own proxies (LAN load balancer, cloudflared): may present any client address, private ones included; CIDRs or presets")
    public void setInternalProxies(List<String> entries)
    {
        internalProxies = parse(entries);
    }

    public List<String> getCfConnectingIpFrom()
    {
        return texts(cfConnectingIpFrom);
    }

    @Config(value = "cf-connecting-ip-from", description = "peers whose CF-Connecting-IP is believed (and which count as trusted proxies): cloudflare, or loopback for cloudflared")
    public void setCfConnectingIpFrom(List<String> entries)
    {
        cfConnectingIpFrom = parse(entries);
    }

    public HeaderSource getHeader()
    {
        return header;
    }

    @Config(value = "header", description = "the chain header: x-forwarded-for, forwarded, auto or x-real-ip")
    public void setHeader(HeaderSource header)
    {
        this.header = header;
    }

    public Path getCloudflareIpsFile()
    {
        return cloudflareIpsFile;
    }

    @Config(value = "cloudflare-ips-file", description = "the file of Cloudflare's ranges for the cloudflare preset, relative to jetty.base")
    public void setCloudflareIpsFile(Path cloudflareIpsFile)
    {
        this.cloudflareIpsFile = cloudflareIpsFile;
    }

    public boolean isAcceptProto()
    {
        return acceptProto;
    }

    @Config(value = "accept-proto", description = "take the scheme from X-Forwarded-Proto / Forwarded proto of a trusted peer")
    public void setAcceptProto(boolean acceptProto)
    {
        this.acceptProto = acceptProto;
    }

    public boolean isAcceptHost()
    {
        return acceptHost;
    }

    @Config(value = "accept-host", description = "take the public host from X-Forwarded-Host / Forwarded host of a trusted peer")
    public void setAcceptHost(boolean acceptHost)
    {
        this.acceptHost = acceptHost;
    }

    public boolean isAcceptPort()
    {
        return acceptPort;
    }

    @Config(value = "accept-port", description = "take the public port from X-Forwarded-Port of a trusted peer")
    public void setAcceptPort(boolean acceptPort)
    {
        this.acceptPort = acceptPort;
    }

    public int getMaxHops()
    {
        return maxHops;
    }

    @Config(value = "max-hops", description = "the most addresses walked in one request's chain (1-100)")
    public void setMaxHops(int maxHops)
    {
        if (maxHops < 1 || maxHops > 100)
            throw new IllegalArgumentException("must be between 1 and 100");
        this.maxHops = maxHops;
    }

    public UpstreamChain getUpstreamXForwardedFor()
    {
        return upstreamXForwardedFor;
    }

    @Config(value = "upstream-x-forwarded-for", description = "what the upstream's X-Forwarded-For holds: client (the client only) or chain (the verified chain)")
    public void setUpstreamXForwardedFor(UpstreamChain upstreamXForwardedFor)
    {
        this.upstreamXForwardedFor = upstreamXForwardedFor;
    }

    public boolean isUpstreamForwarded()
    {
        return upstreamForwarded;
    }

    @Config(value = "upstream-forwarded", description = "also send an RFC 7239 Forwarded header upstream")
    public void setUpstreamForwarded(boolean upstreamForwarded)
    {
        this.upstreamForwarded = upstreamForwarded;
    }

    List<ProxyEntry> trustedProxyEntries()
    {
        return trustedProxies;
    }

    List<ProxyEntry> internalProxyEntries()
    {
        return internalProxies;
    }

    List<ProxyEntry> cfConnectingIpFromEntries()
    {
        return cfConnectingIpFrom;
    }

    /**
     * @return whether any list names the {@code cloudflare} preset, so that the file must be read
     */
    boolean usesCloudflarePreset()
    {
        List<ProxyEntry> all = new ArrayList<>(trustedProxies);
        all.addAll(internalProxies);
        all.addAll(cfConnectingIpFrom);
        return all.stream().anyMatch(entry -> entry.preset() == Preset.CLOUDFLARE);
    }

    private static List<ProxyEntry> parse(List<String> entries)
    {
        List<ProxyEntry> parsed = new ArrayList<>();
        for (String entry : entries)
            parsed.add(ProxyEntry.parse(entry));
        return List.copyOf(parsed);
    }

    private static List<String> texts(List<ProxyEntry> entries)
    {
        return entries.stream().map(ProxyEntry::toString).toList();
    }
}
