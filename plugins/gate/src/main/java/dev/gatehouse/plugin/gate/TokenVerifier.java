package dev.gatehouse.plugin.gate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;

/**
 * Judges a compact JWS: nimbus checks the signature with an allow-listed algorithm and a key from
 * {@link GateKeys}, {@code typ}, exact {@code iss} (and {@code type=app} for Cloudflare), and
 * {@code exp}/{@code nbf} with the clock skew; this class adds what nimbus does not (measured in
 * research/gate.md section 4.4): a size cap and a strict character set before parsing, {@code iat}
 * not in the future, a maximum lifetime, non-empty any-of audiences judged separately (403, not
 * 401), and claim types. Valid tokens are cached by SHA-256 until they expire.
 */
final class TokenVerifier
{
    private final GateConfig config;
    private final GateKeys keys;
    private final DefaultJWTProcessor<SecurityContext> processor;
    private final Set<String> audiences;
    private final long skewSeconds;
    private final LongSupplier clockMillis;
    private final Map<String, Identity> cache = new ConcurrentHashMap<>();

    TokenVerifier(GateConfig config, GateKeys keys, LongSupplier clockMillis)
    {
        this.config = config;
        this.keys = keys;
        this.clockMillis = clockMillis;
        this.audiences = Set.copyOf(config.getAudiences());
        this.skewSeconds = config.getClockSkew().toSeconds();
        Set<JWSAlgorithm> algorithms = new HashSet<>();
        config.getAlgorithms().forEach(name -> algorithms.add(JWSAlgorithm.parse(name)));
        processor = new DefaultJWTProcessor<>();
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, null));
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder().issuer(config.expectedIssuer());
        Set<String> required = new HashSet<>(Set.of("iss", "aud", "exp"));
        if (config.isCloudflare())
        {
            required.add("iat");
            if (config.isRequireTypeApp())
                exact.claim("type", "app");
        }
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(null, exact.build(), required, null)
        {
            @Override
            protected Date currentTime()
            {
                return new Date(clockMillis.getAsLong());
            }
        };
        claims.setMaxClockSkew((int)skewSeconds);
        processor.setJWTClaimsSetVerifier(claims);
    }

    Verdict verify(String token)
    {
        return verify(token, true);
    }

    /**
     * @return the verdict when it needs no key that may have to be fetched (a token too large,
     * malformed or cached; any token when the keys are a local file), or {@code null}: then
     * {@link #verify} it where a thread may wait
     */
    Verdict verifyWithoutWaiting(String token)
    {
        return verify(token, !keysMayWait());
    }

    /**
     * @return whether a key lookup may wait for a fetch: keys from a URL are fetched when the cache
     * expired, for an unknown {@code kid}, and at all when the start could not
     */
    private boolean keysMayWait()
    {
        return config.getJwksFile() == null;
    }

    private Verdict verify(String token, boolean mayLookUpKeys)
    {
        if (token.length() > config.getMaxTokenSize().toBytes())
            return Verdict.invalid("token-too-large");
        if (!isCompactJws(token))
            return Verdict.invalid("token-malformed");
        long nowSeconds = clockMillis.getAsLong() / 1000;
        String key = config.getTokenCacheEntries() > 0 ? sha256(token) : null;
        if (key != null)
        {
            Identity cached = cache.get(key);
            if (cached != null)
            {
                if (nowSeconds <= cached.expiresAtSeconds() + skewSeconds)
                    return Verdict.valid(cached);
                cache.remove(key, cached);
                return Verdict.invalid("token-expired");
            }
        }
        if (!mayLookUpKeys)
            return null;
        JWTClaimsSet claims;
        try
        {
            claims = processor.process(SignedJWT.parse(token), null);
        }
        catch (ParseException e)
        {
            return Verdict.invalid("token-malformed");
        }
        catch (RateLimitReachedException e)
        {
            return Verdict.invalid("unknown-key");
        }
        catch (KeySourceException e)
        {
            return new Verdict(Verdict.Outcome.UNAVAILABLE, "keys-unavailable", null);
        }
        catch (ExpiredJWTException e)
        {
            return Verdict.invalid("token-expired");
        }
        catch (BadJWTException e)
        {
            return Verdict.invalid("claims-rejected");
        }
        catch (BadJWSException e)
        {
            return Verdict.invalid("bad-signature");
        }
        catch (BadJOSEException e)
        {
            // Typically: an algorithm not allowed, or no key with that kid and algorithm.
            return Verdict.invalid("no-matching-key");
        }
        catch (JOSEException | RuntimeException e)
        {
            return Verdict.invalid("token-rejected");
        }
        Verdict verdict = checkClaims(claims, nowSeconds);
        if (verdict.outcome() == Verdict.Outcome.VALID && key != null)
            remember(key, verdict.identity(), nowSeconds);
        return verdict;
    }

    /**
     * Three base64url segments, nothing else: no whitespace, no padding, no {@code +/}, no
     * non-ASCII, no empty signature ({@code alg:none}), no five-part JWE. The same as the regular
     * expression {@code [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+}, which took 4-6.5 µs on a
     * 0.5-0.8 KiB token, about 90% of a verified-token cache hit (bench/jmh
     * GateTokenVerifierBenchmark); this loop is a fraction of that.
     */
    static boolean isCompactJws(String token)
    {
        int dots = 0;
        int segmentLength = 0;
        for (int i = 0, length = token.length(); i < length; i++)
        {
            char c = token.charAt(i);
            if (c == '.')
            {
                if (segmentLength == 0 || ++dots > 2)
                    return false;
                segmentLength = 0;
            }
            else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
            {
                segmentLength++;
            }
            else
            {
                return false;
            }
        }
        return dots == 2 && segmentLength > 0;
    }

    private Verdict checkClaims(JWTClaimsSet claims, long nowSeconds)
    {
        Date expiry = claims.getExpirationTime();
        Date issuedAt;
        try
        {
            issuedAt = claims.getDateClaim("iat");
        }
        catch (ParseException e)
        {
            return Verdict.invalid("claims-rejected");
        }
        if (expiry == null)
            return Verdict.invalid("claims-rejected");
        long exp = expiry.getTime() / 1000;
        if (issuedAt != null && issuedAt.getTime() / 1000 > nowSeconds + skewSeconds)
            return Verdict.invalid("issued-in-future");
        if (!config.getMaxTokenLifetime().isZero())
        {
            long start = issuedAt != null ? issuedAt.getTime() / 1000 : nowSeconds;
            if (exp - start > config.getMaxTokenLifetime().toSeconds())
                return Verdict.invalid("lifetime-too-long");
        }
        List<String> tokenAudiences = claims.getAudience();
        if (tokenAudiences == null || tokenAudiences.isEmpty())
            return Verdict.invalid("claims-rejected");
        String email;
        String subject;
        String commonName;
        List<String> groups;
        try
        {
            email = claims.getStringClaim("email");
            subject = claims.getSubject();
            commonName = claims.getStringClaim("common_name");
            groups = groups(claims.getClaim(config.getGroupsClaim()));
        }
        catch (ParseException | IllegalArgumentException e)
        {
            return Verdict.invalid("claims-rejected");
        }
        if (tokenAudiences.stream().noneMatch(audiences::contains))
            return new Verdict(Verdict.Outcome.WRONG_AUDIENCE, "wrong-audience", null);
        return Verdict.valid(new Identity(email, subject, commonName, groups, exp));
    }

    private static List<String> groups(Object claim)
    {
        if (claim == null)
            return List.of();
        if (claim instanceof String single)
            return List.of(single);
        if (claim instanceof List<?> list)
        {
            List<String> groups = new ArrayList<>(list.size());
            for (Object element : list)
            {
                if (!(element instanceof String group))
                    throw new IllegalArgumentException("a group is not a string");
                groups.add(group);
            }
            return List.copyOf(groups);
        }
        throw new IllegalArgumentException("the groups claim is neither a string nor an array");
    }

    private void remember(String key, Identity identity, long nowSeconds)
    {
        if (cache.size() >= config.getTokenCacheEntries())
        {
            cache.values().removeIf(entry -> nowSeconds > entry.expiresAtSeconds() + skewSeconds);
            // Still full of live tokens (a flood of distinct valid tokens is unlikely): start over.
            if (cache.size() >= config.getTokenCacheEntries())
                cache.clear();
        }
        cache.put(key, identity);
    }

    int cachedTokens()
    {
        return cache.size();
    }

    static String sha256(String text)
    {
        try
        {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.US_ASCII));
            return java.util.HexFormat.of().formatHex(digest);
        }
        catch (NoSuchAlgorithmException e)
        {
            throw new IllegalStateException(e);
        }
    }
}
