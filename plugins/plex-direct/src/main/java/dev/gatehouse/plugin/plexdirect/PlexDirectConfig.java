package dev.gatehouse.plugin.plexdirect;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import dev.gatehouse.spi.Config;

/**
 * The {@code gatehouse.plex-direct.*} keys. The upstream itself is the host's
 * {@code gatehouse.upstream}: either {@code https://<a-b-c-d>.<hash>.plex.direct:32400} (pinned) or
 * {@code https://<IPv4>:32400} (the name is discovered from the server's certificate).
 */
public class PlexDirectConfig
{
    /** Value of {@code source-address}: pick an RFC1918 source when the kernel would not. */
    public static final String SOURCE_AUTO = "auto";
    /** Value of {@code source-address}: never bind, let the operating system choose. */
    public static final String SOURCE_OS = "os";

    private List<String> routes = List.of("default");
    private boolean discovery = true;
    private String hash = "";
    private Duration rediscoverInterval = Duration.ofHours(1);
    private Duration probeTimeout = Duration.ofSeconds(5);
    private String sourceAddress = SOURCE_AUTO;
    private boolean identityCheck = true;

    public List<String> getRoutes()
    {
        return routes;
    }

    @Config(value = "routes", description = "the routes whose upstream is a Plex Media Server (default: the route of gatehouse.upstream)")
    public void setRoutes(List<String> routes)
    {
        if (routes.isEmpty())
            throw new IllegalArgumentException("name at least one route, e.g. default; to turn the plugin off, disable the gatehouse-plex-direct module");
        this.routes = List.copyOf(routes);
    }

    public boolean isDiscovery()
    {
        return discovery;
    }

    @Config(value = "discovery", description = "when the upstream is https://<IP>:port, read *.<hash>.plex.direct from the server's certificate at start and use <ip>.<hash>.plex.direct")
    public void setDiscovery(boolean discovery)
    {
        this.discovery = discovery;
    }

    public String getHash()
    {
        return hash;
    }

    @Config(value = "hash", description = "the server's certificate hash (32 hex digits, Preferences.xml CertificateUUID); with an https://<IP> upstream it pins the name instead of discovering it")
    public void setHash(String hash)
    {
        String trimmed = hash.trim();
        if (!trimmed.isEmpty() && !PlexDirectName.isHash(trimmed))
            throw new IllegalArgumentException("expected the 32 hexadecimal digits between the address and .plex.direct (not the 40-digit machineIdentifier), got " + trimmed.length() + " characters");
        this.hash = trimmed.toLowerCase(Locale.ROOT);
    }

    public Duration getRediscoverInterval()
    {
        return rediscoverInterval;
    }

    @Config(value = "rediscover-interval", description = "how often to re-read a discovered server's certificate to follow a new hash; 0s: only after a TLS failure")
    public void setRediscoverInterval(Duration rediscoverInterval)
    {
        if (rediscoverInterval.isNegative() || (!rediscoverInterval.isZero() && rediscoverInterval.compareTo(Duration.ofMinutes(1)) < 0))
            throw new IllegalArgumentException("use 0s (off) or at least 1m");
        this.rediscoverInterval = rediscoverInterval;
    }

    public Duration getProbeTimeout()
    {
        return probeTimeout;
    }

    @Config(value = "probe-timeout", description = "time limit of the start-up certificate probe and of the /identity check")
    public void setProbeTimeout(Duration probeTimeout)
    {
        if (probeTimeout.isNegative() || probeTimeout.isZero() || probeTimeout.compareTo(Duration.ofMinutes(1)) > 0)
            throw new IllegalArgumentException("must be between 1ms and 1m");
        this.probeTimeout = probeTimeout;
    }

    public String getSourceAddress()
    {
        return sourceAddress;
    }

    @Config(value = "source-address", description = "the local IPv4 address connections to Plex come from: auto (an RFC1918 address when needed), os, or an address such as 192.168.1.10")
    public void setSourceAddress(String sourceAddress)
    {
        this.sourceAddress = sourceAddress.trim().toLowerCase(Locale.ROOT);
    }

    public boolean isIdentityCheck()
    {
        return identityCheck;
    }

    @Config(value = "identity-check", description = "at start, GET /identity from Plex and log its machineIdentifier and version (a warning, never a failure, when Plex is down)")
    public void setIdentityCheck(boolean identityCheck)
    {
        this.identityCheck = identityCheck;
    }
}
