package dev.gatehouse.plugin.gate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehouseEnvironment;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.Problems;
import dev.gatehouse.spi.Slot;

/**
 * The access gate: verifies Cloudflare Access (or any OIDC issuer's) JWTs at the origin, applies
 * ordered rules, admits Plex native apps by their Plex token or by a remembered network, and
 * sends the upstream identity headers that come from verified claims only.
 */
public class GatePlugin implements GatehousePlugin<GateConfig>
{
    static final String DEFAULT_REMEMBER_FILE = "state/gate-remembered-networks.txt";

    @Override
    public String id()
    {
        return "gate";
    }

    @Override
    public Slot slot()
    {
        return Slot.ACCESS;
    }

    @Override
    public Class<GateConfig> configClass()
    {
        return GateConfig.class;
    }

    @Override
    public void validate(GateConfig config, Problems problems)
    {
        int sources = (config.isCloudflare() ? 1 : 0) + (config.getIssuer() != null ? 1 : 0);
        if (sources == 0)
            problems.report("cloudflare-team", "set cloudflare-team (Cloudflare Access) or issuer (any OIDC issuer): the gate must know whose tokens to accept");
        if (sources == 2)
            problems.report("issuer", "set either cloudflare-team or issuer, not both");
        if (config.getJwksUrl() != null && config.getJwksFile() != null)
            problems.report("jwks-file", "set either jwks-url or jwks-file, not both");
        if (config.getAudiences().isEmpty())
            problems.report("audiences", "required: every Access application of a team shares the signing key, so without an audience check any of the team's tokens would open this one (Cloudflare: the application's AUD tag)");
        if (config.getJwksFile() != null && !Files.isReadable(config.getJwksFile()))
            problems.report("jwks-file", "cannot read " + config.getJwksFile());
        if (config.getDenyPage() != null && !Files.isReadable(config.getDenyPage()))
            problems.report("deny-page", "cannot read " + config.getDenyPage());
        if (config.getJwksRefreshAhead().compareTo(config.getJwksCacheTtl()) >= 0)
            problems.report("jwks-refresh-ahead", "must be shorter than jwks-cache-ttl (" + config.getJwksCacheTtl() + ")");
        if (config.getRulesFile() != null)
        {
            List<String> found = new ArrayList<>();
            try
            {
                List<Rule> rules = RulesFile.read(config.getRulesFile(), found);
                found.forEach(problem -> problems.report("rules-file", config.getRulesFile() + " " + problem));
                if (config.getRememberNetworkFor().isZero() && rules.stream().anyMatch(rule -> rule.action() == Rule.Action.REMEMBERED))
                    problems.report("remember-network-for", "the rules file has a 'remembered' rule, but remembering is off; set e.g. remember-network-for=7d");
            }
            catch (IOException e)
            {
                problems.report("rules-file", "cannot read " + config.getRulesFile() + ": " + e.getMessage());
            }
        }
    }

    @Override
    public Module module(GateConfig config)
    {
        return new AbstractModule()
        {
            @Override
            protected void configure()
            {
                // Usable once the injector exists, i.e. when the remembered networks start.
                com.google.inject.Provider<GatehouseEnvironment> environment = getProvider(GatehouseEnvironment.class);
                GateKeys keys = new GateKeys(config);
                TokenVerifier verifier = new TokenVerifier(config, keys, System::currentTimeMillis);
                PlexTokens plexTokens = new PlexTokens(config, System::nanoTime);
                RememberedNetworks remembered = null;
                if (!config.getRememberNetworkFor().isZero())
                {
                    java.util.function.Supplier<Path> file = () -> rememberFile(config.getRememberFile() != null ? config.getRememberFile() : environment.get().base().resolve(DEFAULT_REMEMBER_FILE), environment.get().appName());
                    remembered = new RememberedNetworks(file, config.getRememberNetworkFor().toSeconds(), config.getRememberIpv6Prefix(), config.getRememberMaxEntries(), System::currentTimeMillis);
                    Contributions.managedBeans(binder()).addBinding().toInstance(remembered);
                }
                Contributions.managedBeans(binder()).addBinding().toInstance(keys);
                Contributions.handler(binder()).toInstance(new GateHandler(config, verifier, plexTokens, remembered));
                Contributions.upstreamCustomizers(binder()).addBinding().toInstance(new IdentityUpstreamCustomizer(config));
                Contributions.upstreamCustomizers(binder()).addBinding().toInstance(plexTokens);
            }
        };
    }

    /**
     * Each app keeps its own remembered networks (a login to one app admits to that app only, and
     * two apps never write one file): {@code gate-remembered-networks-jellyfin.txt} beside the
     * default app's file.
     */
    static Path rememberFile(Path file, String appName)
    {
        if ("default".equals(appName))
            return file;
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String perApp = dot > 0 ? name.substring(0, dot) + "-" + appName + name.substring(dot) : name + "-" + appName;
        return file.resolveSibling(perApp);
    }
}
