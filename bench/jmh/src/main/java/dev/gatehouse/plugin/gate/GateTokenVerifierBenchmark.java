package dev.gatehouse.plugin.gate;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.core.tls.curves.FastCurves;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The JWT gate's own {@link TokenVerifier} (in its package: the class is package-private), as a
 * request meets it: size cap, character check, the verified-token cache (SHA-256 of the token),
 * and on a miss nimbus's parse + signature + typ/iss/exp/nbf checks with a key from
 * {@link GateKeys} (a local JWKS file here, so no network), then the gate's own claim checks.
 * {@code cache=on} is the shipped default (10,000 entries; every invocation after the first is a
 * hit); {@code cache=off} sets token-cache-entries=0, so every request verifies the signature.
 * Each invocation verifies a fresh String of the token, as a request carries.
 * {@code curves=gatehouse} installs the GatehouseCurves provider as a started Gatehouse does
 * ({@code gatehouse.tls.fast-curves}, the default), so ES256 signatures are checked by
 * BouncyCastle's P-256 code; {@code curves=jdk} leaves JDK 17's own (RS256 is the same either way).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class GateTokenVerifierBenchmark
{
    @Param({"RS256", "ES256"})
    public String algorithm;

    @Param({"on", "off"})
    public String cache;

    @Param({"gatehouse", "jdk"})
    public String curves;

    private char[] token;
    private GateKeys keys;
    private TokenVerifier verifier;
    private Path jwks;

    @Setup
    public void setUp() throws Exception
    {
        FastCurves.apply(curves.equals("gatehouse"));
        JWK publicKey;
        SignedJWT jwt;
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
            .issuer("https://auth.example.com/")
            .audience("plex.example.com")
            .subject("user-42")
            .claim("email", "someone@example.com")
            .claim("groups", List.of("family", "plex"))
            .issueTime(new Date())
            .notBeforeTime(new Date(System.currentTimeMillis() - 60_000))
            .expirationTime(new Date(System.currentTimeMillis() + 3_600_000))
            .build();
        if (algorithm.equals("RS256"))
        {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            publicKey = new RSAKey.Builder((RSAPublicKey)pair.getPublic()).keyID("k1").keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).build();
            jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID("k1").build(), claims);
            jwt.sign(new RSASSASigner((RSAPrivateKey)pair.getPrivate()));
        }
        else
        {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            publicKey = new ECKey.Builder(Curve.P_256, (ECPublicKey)pair.getPublic()).keyID("k1").keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256).build();
            jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID("k1").build(), claims);
            jwt.sign(new ECDSASigner((ECPrivateKey)pair.getPrivate()));
        }
        jwks = Files.createTempFile("gate-bench", ".jwks.json");
        Files.writeString(jwks, new JWKSet(publicKey).toString(true));

        GateConfig config = new GateConfig();
        config.setIssuer(URI.create("https://auth.example.com/"));
        config.setAudiences(List.of("plex.example.com"));
        config.setJwksFile(jwks);
        config.setTokenCacheEntries(cache.equals("on") ? 10_000 : 0);
        keys = new GateKeys(config);
        keys.start();
        verifier = new TokenVerifier(config, keys, System::currentTimeMillis);
        token = jwt.serialize().toCharArray();
        Verdict verdict = verifier.verify(new String(token));
        if (verdict.outcome() != Verdict.Outcome.VALID)
            throw new IllegalStateException("the benchmark token is not valid: " + verdict);
    }

    @TearDown
    public void tearDown() throws Exception
    {
        keys.stop();
        Files.deleteIfExists(jwks);
    }

    @Benchmark
    public Object verify()
    {
        return verifier.verify(new String(token));
    }

    // Where a cache hit's time goes (run with -p cache=on; the cache setting does not matter here).

    /** The shape check TokenVerifier did before anything else, as a regular expression. */
    private static final java.util.regex.Pattern COMPACT_JWS = java.util.regex.Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

    @Benchmark
    public boolean partShapeCheck()
    {
        return COMPACT_JWS.matcher(new String(token)).matches();
    }

    /** The check TokenVerifier does now: a loop over the characters. */
    @Benchmark
    public boolean partShapeCheckLoop()
    {
        return TokenVerifier.isCompactJws(new String(token));
    }

    @Benchmark
    public String partCacheKey()
    {
        return TokenVerifier.sha256(new String(token));
    }
}
