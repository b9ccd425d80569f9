package dev.gatehouse.core.tls.curves;

import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidParameterException;
import java.security.KeyPair;
import java.security.KeyPairGeneratorSpi;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.util.Arrays;

import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * X25519 key pairs ({@code KeyPairGenerator} "XDH" and "X25519") with BouncyCastle's constant-time
 * RFC 7748 arithmetic. Anything but X25519 (X448) is refused at {@code initialize}, where the JCA
 * moves on to the next provider.
 */
final class X25519KeyPairGenerator extends KeyPairGeneratorSpi
{
    private SecureRandom random;

    @Override
    public void initialize(int keySize, SecureRandom random)
    {
        if (keySize != 255)
            throw new InvalidParameterException("this generator makes X25519 keys (255 bits), not " + keySize + "-bit keys");
        this.random = random;
    }

    @Override
    public void initialize(AlgorithmParameterSpec params, SecureRandom random) throws InvalidAlgorithmParameterException
    {
        if (!X25519Keys.isX25519(params))
            throw new InvalidAlgorithmParameterException("this generator makes X25519 keys only, not " + params);
        this.random = random;
    }

    @Override
    public KeyPair generateKeyPair()
    {
        byte[] scalar = new byte[X25519Keys.LENGTH];
        byte[] u = new byte[X25519Keys.LENGTH];
        try
        {
            X25519.generatePrivateKey(random != null ? random : FastCurves.defaultRandom(), scalar);
            X25519.generatePublicKey(scalar, 0, u, 0);
            return new KeyPair(X25519Keys.publicKey(u), X25519Keys.privateKey(scalar));
        }
        catch (InvalidKeySpecException e)
        {
            throw new IllegalStateException("the JDK refused an X25519 key it should accept", e);
        }
        finally
        {
            Arrays.fill(scalar, (byte)0);
        }
    }
}
