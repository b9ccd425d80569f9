package dev.gatehouse.plugin.pathblocklist;

import java.util.List;

import dev.gatehouse.spi.Cidr;
import dev.gatehouse.spi.Config;

/**
 * Bound from {@code gatehouse.path-blocklist.*}. The field initialisers are the defaults.
 */
public class PathBlocklistConfig
{
    private List<String> paths = List.of();
    private int status = 404;
    private List<Cidr> allowFrom = List.of();

    public List<String> getPaths()
    {
        return paths;
    }

    @Config(value = "paths", description = "path prefixes to refuse, comma-separated, e.g. /admin,/:/prefs")
    public void setPaths(List<String> paths)
    {
        this.paths = paths;
    }

    public int getStatus()
    {
        return status;
    }

    @Config(value = "status", description = "404 (hide that the path exists) or 403")
    public void setStatus(int status)
    {
        if (status != 403 && status != 404)
            throw new IllegalArgumentException("use 404 or 403");
        this.status = status;
    }

    public List<Cidr> getAllowFrom()
    {
        return allowFrom;
    }

    @Config(value = "allow-from", description = "client networks that may still reach the paths, e.g. 192.168.1.0/24")
    public void setAllowFrom(List<Cidr> allowFrom)
    {
        this.allowFrom = allowFrom;
    }
}
