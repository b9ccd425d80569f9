package dev.gatehouse.core.tls.curves;

import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.KeyAgreementSpi;
import javax.crypto.SecretKey;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * X25519 key agreement ({@code KeyAgreement} "XDH" and "X25519") with BouncyCastle's constant-time
 * RFC 7748 arithmetic, behaving as the JDK's own: one phase, an all-zero result (a peer key of small
 * order) refused, {@code generateSecret} resetting for the next agreement with the same private key.
 */
final class X25519KeyAgreement extends KeyAgreementSpi
{
    private byte[] scalar;
    private byte[] secret;

    @Override
    protected void engineInit(Key key, SecureRandom random) throws InvalidKeyException
    {
        byte[] next = X25519Keys.scalar(key);
        wipe();
        scalar = next;
    }

    @Override
    protected void engineInit(Key key, AlgorithmParameterSpec params, SecureRandom random) throws InvalidKeyException, InvalidAlgorithmParameterException
    {
        if (params != null && !X25519Keys.isX25519(params))
            throw new InvalidAlgorithmParameterException("X25519 takes no parameters other than X25519's, not " + params);
        engineInit(key, random);
    }

    @Override
    protected Key engineDoPhase(Key key, boolean lastPhase) throws InvalidKeyException
    {
        if (scalar == null)
            throw new IllegalStateException("not initialised with a private key");
        if (!lastPhase)
            throw new IllegalStateException("X25519 takes exactly one phase");
        byte[] u = X25519Keys.u(key);
        byte[] result = new byte[X25519Keys.LENGTH];
        if (!X25519.calculateAgreement(scalar, 0, u, 0, result, 0))
            throw new InvalidKeyException("the X25519 public key has small order (the shared secret would be all zeros)");
        secret = result;
        FastCurves.countAgreement();
        return null;
    }

    @Override
    protected byte[] engineGenerateSecret()
    {
        if (secret == null)
            throw new IllegalStateException("no key agreement: call doPhase first");
        byte[] result = secret;
        secret = null;
        return result;
    }

    @Override
    protected int engineGenerateSecret(byte[] sharedSecret, int offset) throws ShortBufferException
    {
        if (secret == null)
            throw new IllegalStateException("no key agreement: call doPhase first");
        if (sharedSecret.length - offset < secret.length)
            throw new ShortBufferException("the shared secret needs " + secret.length + " bytes");
        byte[] result = engineGenerateSecret();
        System.arraycopy(result, 0, sharedSecret, offset, result.length);
        Arrays.fill(result, (byte)0);
        return result.length;
    }

    @Override
    protected SecretKey engineGenerateSecret(String algorithm) throws NoSuchAlgorithmException
    {
        // As the JDK's XDH: its TLS asks for "TlsPremasterSecret"; JDK 25 also knows "Generic".
        if (!"TlsPremasterSecret".equalsIgnoreCase(algorithm) && !"Generic".equalsIgnoreCase(algorithm))
            throw new NoSuchAlgorithmException("an X25519 shared secret makes a TlsPremasterSecret or Generic key only, not " + algorithm);
        byte[] result = engineGenerateSecret();
        try
        {
            return new SecretKeySpec(result, algorithm);
        }
        finally
        {
            Arrays.fill(result, (byte)0);
        }
    }

    private void wipe()
    {
        if (scalar != null)
            Arrays.fill(scalar, (byte)0);
        if (secret != null)
            Arrays.fill(secret, (byte)0);
        scalar = null;
        secret = null;
    }
}
