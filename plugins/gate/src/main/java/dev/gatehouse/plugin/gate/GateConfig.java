package dev.gatehouse.plugin.gate;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import dev.gatehouse.spi.Config;
import dev.gatehouse.spi.DataSize;

/**
 * {@code gatehouse.gate.*}. One issuer (a Cloudflare Access team, an OIDC issuer, or a local JWKS
 * file with an issuer name), one set of accepted audiences, and an ordered rules file.
 */
public class GateConfig
{
    /**
     * What happens to a request that no rule matched.
     */
    public enum DefaultAction
    {
        /** A valid token is required; any identity the issuer vouches for is admitted. */
        ALLOW,
        /** 403 for everything no rule admitted. */
        DENY
    }

    static final Pattern TEAM = Pattern.compile("[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?");
    static final Set<String> SUPPORTED_ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");
    static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);

    private String cloudflareTeam = "";
    private URI issuer;
    private URI jwksUrl;
    private Path jwksFile;
    private List<String> audiences = List.of();
    private List<String> algorithms = List.of("RS256", "ES256");
    private boolean requireTypeApp = true;
    private Duration clockSkew = Duration.ofSeconds(60);
    private Duration maxTokenLifetime = Duration.ZERO;
    private DataSize maxTokenSize = DataSize.ofBytes(8192);
    private int minRsaKeySize = 2048;
    private boolean tokenCookie = true;
    private boolean tokenBearer;
    private boolean forwardToken;
    private int tokenCacheEntries = 10_000;
    private Duration httpTimeout = Duration.ofSeconds(5);
    private DataSize jwksSizeLimit = DataSize.ofBytes(64 * 1024);
    private Duration jwksCacheTtl = Duration.ofMinutes(10);
    private Duration jwksRefreshAhead = Duration.ofMinutes(1);
    private Duration jwksRateLimit = Duration.ofSeconds(30);
    private Duration jwksOutageTolerance = Duration.ofHours(24);
    private Path rulesFile;
    private DefaultAction defaultAction = DefaultAction.ALLOW;
    private String groupsClaim = "groups";
    private boolean identityHeaders = true;
    private Path denyPage;
    private String plexTokenCheckPath = "/";
    private Duration plexTokenCacheTtl = Duration.ofMinutes(10);
    private Duration plexTokenNegativeTtl = Duration.ofMinutes(1);
    private int plexTokenChecksPerMinute = 30;
    private int plexTokenCacheEntries = 1000;
    private Duration rememberNetworkFor = Duration.ZERO;
    private Path rememberFile;
    private int rememberIpv6Prefix = 64;
    private int rememberMaxEntries = 256;

    public String getCloudflareTeam()
    {
        return cloudflareTeam;
    }

    @Config(value = "cloudflare-team", description = "Cloudflare Zero Trust team name: issuer https://<team>.cloudflareaccess.com, keys from its /cdn-cgi/access/certs")
    public void setCloudflareTeam(String cloudflareTeam)
    {
        String team = cloudflareTeam.trim().toLowerCase(Locale.ROOT);
        if (team.endsWith(".cloudflareaccess.com"))
            throw new IllegalArgumentException("give the team name only (the part before .cloudflareaccess.com)");
        if (!team.isEmpty() && !TEAM.matcher(team).matches())
            throw new IllegalArgumentException("a team name is lower-case letters, digits and '-'");
        this.cloudflareTeam = team;
    }

    public URI getIssuer()
    {
        return issuer;
    }

    @Config(value = "issuer", description = "OIDC issuer, compared exactly with the token's iss; keys from its discovery document unless jwks-url or jwks-file is set")
    public void setIssuer(URI issuer)
    {
        this.issuer = issuer;
    }

    public URI getJwksUrl()
    {
        return jwksUrl;
    }

    @Config(value = "jwks-url", description = "where the signing keys are fetched, instead of the derived or discovered URL")
    public void setJwksUrl(URI jwksUrl)
    {
        String scheme = jwksUrl.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http"))
            throw new IllegalArgumentException("an http or https URL");
        this.jwksUrl = jwksUrl;
    }

    public Path getJwksFile()
    {
        return jwksFile;
    }

    @Config(value = "jwks-file", description = "a local JWK set file (JSON) instead of fetching keys")
    public void setJwksFile(Path jwksFile)
    {
        this.jwksFile = jwksFile;
    }

    public List<String> getAudiences()
    {
        return audiences;
    }

    @Config(value = "audiences", description = "accepted aud values (Cloudflare Access: the application's AUD tags); a token must carry at least one")
    public void setAudiences(List<String> audiences)
    {
        this.audiences = audiences;
    }

    public List<String> getAlgorithms()
    {
        return algorithms;
    }

    @Config(value = "algorithms", description = "accepted signature algorithms: RS256, ES256 (also RS384/512, PS256/384/512, ES384/512)")
    public void setAlgorithms(List<String> algorithms)
    {
        if (algorithms.isEmpty())
            throw new IllegalArgumentException("at least one algorithm");
        for (String algorithm : algorithms)
        {
            if (!SUPPORTED_ALGORITHMS.contains(algorithm))
                throw new IllegalArgumentException(algorithm + " is not accepted; one of " + String.join(", ", SUPPORTED_ALGORITHMS.stream().sorted().toList()) + " (never none or HS*)");
        }
        this.algorithms = algorithms;
    }

    public boolean isRequireTypeApp()
    {
        return requireTypeApp;
    }

    @Config(value = "require-type-app", description = "Cloudflare only: require the claim type=app (refuses org-wide session tokens)")
    public void setRequireTypeApp(boolean requireTypeApp)
    {
        this.requireTypeApp = requireTypeApp;
    }

    public Duration getClockSkew()
    {
        return clockSkew;
    }

    @Config(value = "clock-skew", description = "tolerance for exp, nbf and iat, 0s..5m")
    public void setClockSkew(Duration clockSkew)
    {
        if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0)
            throw new IllegalArgumentException("between 0s and 5m");
        this.clockSkew = clockSkew;
    }

    public Duration getMaxTokenLifetime()
    {
        return maxTokenLifetime;
    }

    @Config(value = "max-token-lifetime", description = "refuse tokens whose exp - iat is longer; 0s is off")
    public void setMaxTokenLifetime(Duration maxTokenLifetime)
    {
        if (maxTokenLifetime.isNegative())
            throw new IllegalArgumentException("cannot be negative");
        this.maxTokenLifetime = maxTokenLifetime;
    }

    public DataSize getMaxTokenSize()
    {
        return maxTokenSize;
    }

    @Config(value = "max-token-size", description = "longer tokens are refused before parsing, 512B..64KiB")
    public void setMaxTokenSize(DataSize maxTokenSize)
    {
        if (maxTokenSize.toBytes() < 512 || maxTokenSize.toBytes() > 65536)
            throw new IllegalArgumentException("between 512B and 64KiB");
        this.maxTokenSize = maxTokenSize;
    }

    public int getMinRsaKeySize()
    {
        return minRsaKeySize;
    }

    @Config(value = "min-rsa-key-size", description = "RSA keys in the key set shorter than this many bits are ignored")
    public void setMinRsaKeySize(int minRsaKeySize)
    {
        if (minRsaKeySize < 2048 || minRsaKeySize > 16384)
            throw new IllegalArgumentException("between 2048 and 16384");
        this.minRsaKeySize = minRsaKeySize;
    }

    public boolean isTokenCookie()
    {
        return tokenCookie;
    }

    @Config(value = "token-cookie", description = "also read the CF_Authorization cookie when the Cf-Access-Jwt-Assertion header is absent")
    public void setTokenCookie(boolean tokenCookie)
    {
        this.tokenCookie = tokenCookie;
    }

    public boolean isTokenBearer()
    {
        return tokenBearer;
    }

    @Config(value = "token-bearer", description = "also read Authorization: Bearer when header and cookie are absent")
    public void setTokenBearer(boolean tokenBearer)
    {
        this.tokenBearer = tokenBearer;
    }

    public boolean isForwardToken()
    {
        return forwardToken;
    }

    @Config(value = "forward-token", description = "pass the token (header, cookie, bearer) to the upstream; false removes it")
    public void setForwardToken(boolean forwardToken)
    {
        this.forwardToken = forwardToken;
    }

    public int getTokenCacheEntries()
    {
        return tokenCacheEntries;
    }

    @Config(value = "token-cache-entries", description = "verified tokens remembered (by SHA-256) until they expire, 0..1000000")
    public void setTokenCacheEntries(int tokenCacheEntries)
    {
        if (tokenCacheEntries < 0 || tokenCacheEntries > 1_000_000)
            throw new IllegalArgumentException("between 0 and 1000000");
        this.tokenCacheEntries = tokenCacheEntries;
    }

    public Duration getHttpTimeout()
    {
        return httpTimeout;
    }

    @Config(value = "http-timeout", description = "connect and read timeout of each key, discovery and Plex-token fetch, 500ms..60s")
    public void setHttpTimeout(Duration httpTimeout)
    {
        if (httpTimeout.toMillis() < 500 || httpTimeout.toSeconds() > 60)
            throw new IllegalArgumentException("between 500ms and 60s");
        this.httpTimeout = httpTimeout;
    }

    public DataSize getJwksSizeLimit()
    {
        return jwksSizeLimit;
    }

    @Config(value = "jwks-size-limit", description = "largest key set or discovery document accepted, 4KiB..1MiB")
    public void setJwksSizeLimit(DataSize jwksSizeLimit)
    {
        if (jwksSizeLimit.toBytes() < 4096 || jwksSizeLimit.toBytes() > (1 << 20))
            throw new IllegalArgumentException("between 4KiB and 1MiB");
        this.jwksSizeLimit = jwksSizeLimit;
    }

    public Duration getJwksCacheTtl()
    {
        return jwksCacheTtl;
    }

    @Config(value = "jwks-cache-ttl", description = "how long fetched keys are used before they are fetched again")
    public void setJwksCacheTtl(Duration jwksCacheTtl)
    {
        if (jwksCacheTtl.toSeconds() < 1)
            throw new IllegalArgumentException("at least 1s");
        this.jwksCacheTtl = jwksCacheTtl;
    }

    public Duration getJwksRefreshAhead()
    {
        return jwksRefreshAhead;
    }

    @Config(value = "jwks-refresh-ahead", description = "refresh the keys in the background this long before the cache expires")
    public void setJwksRefreshAhead(Duration jwksRefreshAhead)
    {
        if (jwksRefreshAhead.isNegative() || jwksRefreshAhead.isZero())
            throw new IllegalArgumentException("more than 0s");
        this.jwksRefreshAhead = jwksRefreshAhead;
    }

    public Duration getJwksRateLimit()
    {
        return jwksRateLimit;
    }

    @Config(value = "jwks-rate-limit", description = "at most two key fetches per this interval, also for tokens with an unknown kid")
    public void setJwksRateLimit(Duration jwksRateLimit)
    {
        if (jwksRateLimit.toMillis() < 100)
            throw new IllegalArgumentException("at least 100ms");
        this.jwksRateLimit = jwksRateLimit;
    }

    public Duration getJwksOutageTolerance()
    {
        return jwksOutageTolerance;
    }

    @Config(value = "jwks-outage-tolerance", description = "how long the last fetched keys keep working while the key URL fails")
    public void setJwksOutageTolerance(Duration jwksOutageTolerance)
    {
        if (jwksOutageTolerance.toSeconds() < 1)
            throw new IllegalArgumentException("at least 1s");
        this.jwksOutageTolerance = jwksOutageTolerance;
    }

    public Path getRulesFile()
    {
        return rulesFile;
    }

    @Config(value = "rules-file", description = "ordered access rules, one a line (see etc/gatehouse/gate-rules.txt); unset: every request needs a valid token")
    public void setRulesFile(Path rulesFile)
    {
        this.rulesFile = rulesFile;
    }

    public DefaultAction getDefaultAction()
    {
        return defaultAction;
    }

    @Config(value = "default-action", description = "for requests no rule matched: allow (valid token, any identity) or deny")
    public void setDefaultAction(DefaultAction defaultAction)
    {
        this.defaultAction = defaultAction;
    }

    public String getGroupsClaim()
    {
        return groupsClaim;
    }

    @Config(value = "groups-claim", description = "the claim holding the user's groups (a string or an array of strings)")
    public void setGroupsClaim(String groupsClaim)
    {
        if (groupsClaim.isEmpty())
            throw new IllegalArgumentException("a claim name");
        this.groupsClaim = groupsClaim;
    }

    public boolean isIdentityHeaders()
    {
        return identityHeaders;
    }

    @Config(value = "identity-headers", description = "set Cf-Access-Authenticated-User-Email, X-Forwarded-User/Email/Groups and Remote-User upstream from verified claims")
    public void setIdentityHeaders(boolean identityHeaders)
    {
        this.identityHeaders = identityHeaders;
    }

    public Path getDenyPage()
    {
        return denyPage;
    }

    @Config(value = "deny-page", description = "an HTML file sent as the body of 401 and 403 answers to browsers")
    public void setDenyPage(Path denyPage)
    {
        this.denyPage = denyPage;
    }

    public String getPlexTokenCheckPath()
    {
        return plexTokenCheckPath;
    }

    @Config(value = "plex-token-check-path", description = "the upstream path requested with an X-Plex-Token to learn whether Plex accepts it")
    public void setPlexTokenCheckPath(String plexTokenCheckPath)
    {
        if (!plexTokenCheckPath.startsWith("/") || plexTokenCheckPath.contains("?") || plexTokenCheckPath.contains("#"))
            throw new IllegalArgumentException("a path starting with / and without query");
        this.plexTokenCheckPath = plexTokenCheckPath;
    }

    public Duration getPlexTokenCacheTtl()
    {
        return plexTokenCacheTtl;
    }

    @Config(value = "plex-token-cache-ttl", description = "how long an accepted Plex token is admitted without asking Plex again")
    public void setPlexTokenCacheTtl(Duration plexTokenCacheTtl)
    {
        if (plexTokenCacheTtl.toSeconds() < 1)
            throw new IllegalArgumentException("at least 1s");
        this.plexTokenCacheTtl = plexTokenCacheTtl;
    }

    public Duration getPlexTokenNegativeTtl()
    {
        return plexTokenNegativeTtl;
    }

    @Config(value = "plex-token-negative-ttl", description = "how long a refused Plex token (or a failed check) is refused without asking Plex again")
    public void setPlexTokenNegativeTtl(Duration plexTokenNegativeTtl)
    {
        if (plexTokenNegativeTtl.toSeconds() < 1)
            throw new IllegalArgumentException("at least 1s");
        this.plexTokenNegativeTtl = plexTokenNegativeTtl;
    }

    public int getPlexTokenChecksPerMinute()
    {
        return plexTokenChecksPerMinute;
    }

    @Config(value = "plex-token-checks-per-minute", description = "at most this many checks of unknown Plex tokens are sent upstream per minute, 1..6000")
    public void setPlexTokenChecksPerMinute(int plexTokenChecksPerMinute)
    {
        if (plexTokenChecksPerMinute < 1 || plexTokenChecksPerMinute > 6000)
            throw new IllegalArgumentException("between 1 and 6000");
        this.plexTokenChecksPerMinute = plexTokenChecksPerMinute;
    }

    public int getPlexTokenCacheEntries()
    {
        return plexTokenCacheEntries;
    }

    @Config(value = "plex-token-cache-entries", description = "Plex tokens remembered (by SHA-256), accepted and refused together, 16..100000")
    public void setPlexTokenCacheEntries(int plexTokenCacheEntries)
    {
        if (plexTokenCacheEntries < 16 || plexTokenCacheEntries > 100_000)
            throw new IllegalArgumentException("between 16 and 100000");
        this.plexTokenCacheEntries = plexTokenCacheEntries;
    }

    public Duration getRememberNetworkFor()
    {
        return rememberNetworkFor;
    }

    @Config(value = "remember-network-for", description = "after a browser login, admit the client's address through 'remembered' rules for this long (e.g. 7d); 0s is off")
    public void setRememberNetworkFor(Duration rememberNetworkFor)
    {
        if (rememberNetworkFor.isNegative() || rememberNetworkFor.toDays() > 90)
            throw new IllegalArgumentException("between 0s and 90d");
        this.rememberNetworkFor = rememberNetworkFor;
    }

    public Path getRememberFile()
    {
        return rememberFile;
    }

    @Config(value = "remember-file", description = "where remembered networks are kept across restarts (default: state/gate-remembered-networks.txt in jetty.base)")
    public void setRememberFile(Path rememberFile)
    {
        this.rememberFile = rememberFile;
    }

    public int getRememberIpv6Prefix()
    {
        return rememberIpv6Prefix;
    }

    @Config(value = "remember-ipv6-prefix", description = "an IPv6 client is remembered as its /N network (privacy addresses change within a /64), 48..128")
    public void setRememberIpv6Prefix(int rememberIpv6Prefix)
    {
        if (rememberIpv6Prefix < 48 || rememberIpv6Prefix > 128)
            throw new IllegalArgumentException("between 48 and 128");
        this.rememberIpv6Prefix = rememberIpv6Prefix;
    }

    public int getRememberMaxEntries()
    {
        return rememberMaxEntries;
    }

    @Config(value = "remember-max-entries", description = "at most this many networks are remembered; the oldest goes first, 1..10000")
    public void setRememberMaxEntries(int rememberMaxEntries)
    {
        if (rememberMaxEntries < 1 || rememberMaxEntries > 10_000)
            throw new IllegalArgumentException("between 1 and 10000");
        this.rememberMaxEntries = rememberMaxEntries;
    }

    boolean isCloudflare()
    {
        return !cloudflareTeam.isEmpty();
    }

    /**
     * @return the exact iss every token must carry
     */
    String expectedIssuer()
    {
        if (isCloudflare())
            return "https://" + cloudflareTeam + ".cloudflareaccess.com";
        return issuer == null ? null : issuer.toString();
    }
}
