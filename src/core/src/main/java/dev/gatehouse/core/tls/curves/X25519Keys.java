package dev.gatehouse.core.tls.curves;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.XECKey;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;

/**
 * Converts between the JDK's X25519 key objects and RFC 7748's 32-byte little-endian strings. The
 * keys this provider makes are the JDK's own ({@code SunEC}'s), so that every consumer (the JDK's TLS,
 * {@code KeyFactory}, serialisation) sees nothing unusual.
 */
final class X25519Keys
{
    static final int LENGTH = 32;

    private X25519Keys()
    {
    }

    static boolean isX25519(AlgorithmParameterSpec params)
    {
        return params instanceof NamedParameterSpec named && NamedParameterSpec.X25519.getName().equalsIgnoreCase(named.getName());
    }

    static boolean isX25519Key(Object key)
    {
        return key instanceof XECKey xec && isX25519(xec.getParams());
    }

    static XECPrivateKey privateKey(byte[] scalar) throws InvalidKeySpecException
    {
        return (XECPrivateKey)keyFactory().generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
    }

    static XECPublicKey publicKey(byte[] u) throws InvalidKeySpecException
    {
        return (XECPublicKey)keyFactory().generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, reversed(u))));
    }

    /**
     * @return a copy of the key's 32-byte scalar; the caller wipes it
     */
    static byte[] scalar(Key key) throws InvalidKeyException
    {
        if (!(key instanceof XECPrivateKey xec) || !isX25519(xec.getParams()))
            throw new InvalidKeyException("an X25519 private key is needed, not " + describe(key));
        byte[] scalar = xec.getScalar().orElseThrow(() -> new InvalidKeyException("the X25519 private key does not reveal its scalar"));
        if (scalar.length != LENGTH)
            throw new InvalidKeyException("an X25519 scalar has 32 bytes, not " + scalar.length);
        return scalar;
    }

    /**
     * @return the key's u-coordinate as RFC 7748 encodes it: 32 bytes, little-endian
     */
    static byte[] u(Key key) throws InvalidKeyException
    {
        if (!(key instanceof XECPublicKey xec) || !isX25519(xec.getParams()))
            throw new InvalidKeyException("an X25519 public key is needed, not " + describe(key));
        BigInteger u = xec.getU();
        if (u.signum() < 0 || u.bitLength() > 8 * LENGTH)
            throw new InvalidKeyException("the X25519 public key's u-coordinate does not fit 32 bytes");
        byte[] bigEndian = u.toByteArray();
        byte[] littleEndian = new byte[LENGTH];
        // toByteArray() may add a leading sign byte (dropped: the value is non-negative) or be shorter.
        for (int i = 0; i < LENGTH && i < bigEndian.length; i++)
            littleEndian[i] = bigEndian[bigEndian.length - 1 - i];
        return littleEndian;
    }

    private static String describe(Key key)
    {
        if (key == null)
            return "none";
        String params = key instanceof XECKey xec && xec.getParams() instanceof NamedParameterSpec named ? " " + named.getName() : "";
        return key.getAlgorithm() + params + (key instanceof PrivateKey ? " private key" : key instanceof PublicKey ? " public key" : " key");
    }

    private static byte[] reversed(byte[] bytes)
    {
        byte[] reversed = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++)
            reversed[i] = bytes[bytes.length - 1 - i];
        return reversed;
    }

    private static KeyFactory keyFactory()
    {
        try
        {
            return KeyFactory.getInstance("XDH", FastCurves.jdkProvider());
        }
        catch (NoSuchAlgorithmException e)
        {
            throw new IllegalStateException("the JDK's SunEC provider has no XDH key factory", e);
        }
    }
}
