package dev.gatehouse.core.tls.curves;

import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.bouncycastle.math.ec.FixedPointUtil;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The elliptic-curve arithmetic of TLS handshakes (X25519 key exchange, ECDSA P-256 signatures)
 * computed with BouncyCastle's curve-specific code instead of JDK 17's generic field arithmetic:
 * per handshake, ECDSA signing 760 → 120 µs and X25519 key generation plus agreement 430 → 150 µs
 * on the benchmark machine (JDK 25: 180 → 100 and 390 → 125 µs); ECDSA P-256 verification
 * 1,200 → 100 µs. The JDK's TLS stays the TLS: it asks the JCA for "XDH" key pairs and agreements
 * and "SHA256withECDSA" signers and verifiers, and a provider placed first answers those for X25519
 * and P-256 keys. Everything else (X448, P-384, RSA, P-256 ECDH, every cipher) is declined by
 * {@link Provider.Service#supportsParameter} or {@code initialize} and goes, by the JCA's own
 * rules, to the JDK's providers. Keys stay the JDK's objects.
 *
 * <p>Installed JVM-wide (providers are): anything else in the JVM that signs or verifies with a
 * P-256 key (certificate chains, the gate's ES256 tokens) or agrees on an X25519 key takes the
 * same path.
 */
public final class FastCurves
{
    public static final String PROVIDER_NAME = "GatehouseCurves";

    private static final LongAdder AGREEMENTS = new LongAdder();
    private static final LongAdder SIGNATURES = new LongAdder();

    private FastCurves()
    {
    }

    /**
     * Puts the provider first, or takes it out, as configured.
     *
     * @return whether it is installed now
     */
    public static synchronized boolean apply(boolean enabled)
    {
        boolean installed = isInstalled();
        if (enabled && !installed)
        {
            Security.insertProviderAt(new CurvesProvider(), 1);
            // BouncyCastle builds its X25519 base-point tables and P-256's comb on first use: ~0.3 s
            // in a JVM that has not compiled them yet, which the first client's handshake would
            // wait for. Built now, beside Jetty's start, on another core.
            Thread precompute = new Thread(FastCurves::precompute, "gatehouse-curves-precompute");
            precompute.setDaemon(true);
            precompute.start();
        }
        else if (!enabled && installed)
            Security.removeProvider(PROVIDER_NAME);
        return enabled;
    }

    private static void precompute()
    {
        X25519.precompute();
        FixedPointUtil.precompute(P256.DOMAIN.getG());
    }

    public static boolean isInstalled()
    {
        return Security.getProvider(PROVIDER_NAME) != null;
    }

    /**
     * @return how many X25519 agreements and P-256 signatures this provider has computed in this JVM:
     * the proof that handshakes take this path, and what the tests check
     */
    public static Usage usage()
    {
        return new Usage(AGREEMENTS.sum(), SIGNATURES.sum());
    }

    public record Usage(long x25519Agreements, long p256Signatures)
    {
    }

    static void countAgreement()
    {
        AGREEMENTS.increment();
    }

    static void countSignature()
    {
        SIGNATURES.increment();
    }

    /**
     * @return the JDK's elliptic-curve provider, which makes the key objects and verifies
     */
    static Provider jdkProvider()
    {
        return JdkProvider.SUN_EC;
    }

    static SecureRandom defaultRandom()
    {
        return DefaultRandom.INSTANCE;
    }

    private static final class JdkProvider
    {
        private static final Provider SUN_EC = find();

        private static Provider find()
        {
            Provider provider = Security.getProvider("SunEC");
            if (provider == null)
                throw new IllegalStateException("the JDK's SunEC provider is not installed");
            return provider;
        }
    }

    private static final class DefaultRandom
    {
        private static final SecureRandom INSTANCE = new SecureRandom();
    }

    private static final class CurvesProvider extends Provider
    {
        CurvesProvider()
        {
            super(PROVIDER_NAME, "1.0", "Gatehouse: X25519 and ECDSA P-256 with BouncyCastle's curve arithmetic, for TLS handshakes");
            for (String name : List.of("XDH", "X25519"))
            {
                putService(new CurveService(this, "KeyPairGenerator", name, X25519KeyPairGenerator.class, X25519KeyPairGenerator::new, null));
                putService(new CurveService(this, "KeyAgreement", name, X25519KeyAgreement.class, X25519KeyAgreement::new, X25519Keys::isX25519Key));
            }
            for (Map.Entry<String, String> digest : Map.of("SHA256withECDSA", "SHA-256", "SHA384withECDSA", "SHA-384", "SHA512withECDSA", "SHA-512").entrySet())
            {
                String algorithm = digest.getKey();
                putService(new CurveService(this, "Signature", algorithm, P256EcdsaSignature.class, () -> new P256EcdsaSignature(digest.getValue(), algorithm), P256EcdsaSignature::accepts));
            }
        }
    }

    /**
     * A service made without reflection, which says for which keys it is the right one: the JCA
     * skips it for any other key and asks the next provider.
     */
    private static final class CurveService extends Provider.Service
    {
        private final Supplier<Object> factory;
        private final Predicate<Object> acceptedKeys;

        CurveService(Provider provider, String type, String algorithm, Class<?> implementation, Supplier<Object> factory, Predicate<Object> acceptedKeys)
        {
            super(provider, type, algorithm, implementation.getName(), null, null);
            this.factory = factory;
            this.acceptedKeys = acceptedKeys;
        }

        @Override
        public Object newInstance(Object constructorParameter)
        {
            return factory.get();
        }

        @Override
        public boolean supportsParameter(Object parameter)
        {
            // A key pair generator has no key to judge; it declines other curves in initialize().
            return acceptedKeys == null || acceptedKeys.test(parameter);
        }
    }
}
