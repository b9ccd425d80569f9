package dev.gatehouse.bench;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JWT verification, with and without a verified-token cache. The JWT gate plugin is being written
 * on another branch, so this is the baseline it should beat or match: nimbus-jose-jwt (the
 * version the root pom pins) verifying RS256 (2048-bit) and ES256 tokens, parse + signature + the
 * usual claim checks (exp, nbf, iss, aud), and a plain cache keyed by the whole token string
 * (ConcurrentHashMap: hashCode over the token, then equals against the stored token, so a hit is
 * never decided by a hash alone) holding the expiry. Every invocation uses a fresh String of the
 * token, as a request would, so the hash is computed each time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
public class JwtVerificationBenchmark
{
    @Param({"RS256", "ES256"})
    public String algorithm;

    private char[] token;
    private JWSVerifier verifier;
    private final ConcurrentHashMap<String, Long> verified = new ConcurrentHashMap<>();

    @Setup
    public void setUp() throws Exception
    {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
            .issuer("https://auth.example.com/")
            .audience("plex.example.com")
            .subject("user-42")
            .claim("email", "someone@example.com")
            .claim("groups", java.util.List.of("family", "plex"))
            .issueTime(new Date())
            .notBeforeTime(new Date(System.currentTimeMillis() - 60_000))
            .expirationTime(new Date(System.currentTimeMillis() + 3_600_000))
            .build();
        SignedJWT jwt;
        if (algorithm.equals("RS256"))
        {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID("k1").build(), claims);
            jwt.sign(new RSASSASigner((RSAPrivateKey)pair.getPrivate()));
            verifier = new RSASSAVerifier((RSAPublicKey)pair.getPublic());
        }
        else
        {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID("k1").build(), claims);
            jwt.sign(new ECDSASigner((ECPrivateKey)pair.getPrivate()));
            verifier = new ECDSAVerifier((ECPublicKey)pair.getPublic());
        }
        token = jwt.serialize().toCharArray();
        if (!verify(new String(token)))
            throw new IllegalStateException("the token does not verify");
        verified.put(new String(token), System.currentTimeMillis() + 3_600_000);
    }

    private boolean verify(String text) throws Exception
    {
        SignedJWT jwt = SignedJWT.parse(text);
        if (!jwt.verify(verifier))
            return false;
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        long now = System.currentTimeMillis();
        return claims.getExpirationTime() != null && claims.getExpirationTime().getTime() > now &&
            (claims.getNotBeforeTime() == null || claims.getNotBeforeTime().getTime() <= now) &&
            "https://auth.example.com/".equals(claims.getIssuer()) &&
            claims.getAudience().contains("plex.example.com");
    }

    /** Parse, verify the signature, check the claims: every request without a cache. */
    @Benchmark
    public boolean uncached() throws Exception
    {
        return verify(new String(token));
    }

    /** A cache hit: look the token up and check the stored expiry. */
    @Benchmark
    public boolean cachedHit()
    {
        Long expiry = verified.get(new String(token));
        return expiry != null && expiry > System.currentTimeMillis();
    }

    /** The cost of making the request's String, included in both of the above. */
    @Benchmark
    public String tokenCopyOnly()
    {
        return new String(token);
    }
}
