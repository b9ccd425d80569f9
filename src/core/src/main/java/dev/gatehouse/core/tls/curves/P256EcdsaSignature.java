package dev.gatehouse.core.tls.curves;

import java.math.BigInteger;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECParameterSpec;

import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;

/**
 * ECDSA signatures with P-256 keys ({@code SHA256withECDSA} and its SHA-384/512 siblings, DER
 * encoded as the JDK's) computed with BouncyCastle's P-256 arithmetic: a fixed-point comb for
 * {@code k·G} with cache-safe table lookups and a constant-time inverse of {@code k}. The digest is
 * the JDK's. Verifying is left to the JDK ({@code SunEC}): it involves no secret and is rare on a
 * proxy (verifying an upstream's certificate, a token's signature).
 */
final class P256EcdsaSignature extends SignatureSpi
{
    private final String digestAlgorithm;
    private final String jdkAlgorithm;
    private MessageDigest digest;
    private ECPrivateKeyParameters signingKey;
    private SecureRandom random;
    private Signature verifier;

    P256EcdsaSignature(String digestAlgorithm, String jdkAlgorithm)
    {
        this.digestAlgorithm = digestAlgorithm;
        this.jdkAlgorithm = jdkAlgorithm;
    }

    static boolean accepts(Object key)
    {
        return key instanceof ECPrivateKey ec && P256.isP256(ec.getParams());
    }

    @Override
    protected void engineInitSign(PrivateKey key) throws InvalidKeyException
    {
        engineInitSign(key, null);
    }

    @Override
    protected void engineInitSign(PrivateKey key, SecureRandom random) throws InvalidKeyException
    {
        if (!accepts(key))
            throw new InvalidKeyException("this signer takes P-256 private keys only, not " + (key == null ? "none" : key.getAlgorithm() + " " + key.getFormat()));
        BigInteger d = ((ECPrivateKey)key).getS();
        if (d.signum() <= 0 || d.compareTo(P256.DOMAIN.getN()) >= 0)
            throw new InvalidKeyException("the P-256 private key is out of range");
        signingKey = new ECPrivateKeyParameters(d, P256.DOMAIN);
        this.random = random;
        digest = newDigest();
        verifier = null;
    }

    @Override
    protected void engineInitVerify(PublicKey key) throws InvalidKeyException
    {
        try
        {
            Signature jdk = Signature.getInstance(jdkAlgorithm, FastCurves.jdkProvider());
            jdk.initVerify(key);
            verifier = jdk;
            signingKey = null;
            digest = null;
        }
        catch (NoSuchAlgorithmException e)
        {
            throw new InvalidKeyException("the JDK's SunEC provider has no " + jdkAlgorithm, e);
        }
    }

    @Override
    protected void engineSetParameter(AlgorithmParameterSpec params) throws InvalidAlgorithmParameterException
    {
        // The JDK's ECDSA accepts the curve's own parameters and nothing else; so does this.
        if (params != null && !(params instanceof ECParameterSpec ec && P256.isP256(ec)))
            throw new InvalidAlgorithmParameterException("ECDSA with P-256 takes no parameters other than P-256's, not " + params);
    }

    @Override
    protected void engineUpdate(byte b) throws SignatureException
    {
        if (verifier != null)
            verifier.update(b);
        else
            signing().update(b);
    }

    @Override
    protected void engineUpdate(byte[] bytes, int offset, int length) throws SignatureException
    {
        if (verifier != null)
            verifier.update(bytes, offset, length);
        else
            signing().update(bytes, offset, length);
    }

    @Override
    protected byte[] engineSign() throws SignatureException
    {
        byte[] hash = signing().digest();
        ECDSASigner signer = new ECDSASigner();
        signer.init(true, new ParametersWithRandom(signingKey, random != null ? random : FastCurves.defaultRandom()));
        BigInteger[] rs = signer.generateSignature(hash);
        try
        {
            byte[] der = StandardDSAEncoding.INSTANCE.encode(P256.DOMAIN.getN(), rs[0], rs[1]);
            FastCurves.countSignature();
            return der;
        }
        catch (java.io.IOException e)
        {
            throw new SignatureException("cannot encode the signature", e);
        }
    }

    @Override
    protected boolean engineVerify(byte[] signature) throws SignatureException
    {
        if (verifier == null)
            throw new SignatureException("not initialised for verification");
        return verifier.verify(signature);
    }

    @Override
    @Deprecated
    protected void engineSetParameter(String name, Object value)
    {
        throw new InvalidParameterException("no parameter " + name);
    }

    @Override
    @Deprecated
    protected Object engineGetParameter(String name)
    {
        throw new InvalidParameterException("no parameter " + name);
    }

    private MessageDigest signing() throws SignatureException
    {
        if (digest == null)
            throw new SignatureException("not initialised for signing");
        return digest;
    }

    private MessageDigest newDigest() throws InvalidKeyException
    {
        try
        {
            return MessageDigest.getInstance(digestAlgorithm);
        }
        catch (NoSuchAlgorithmException e)
        {
            throw new InvalidKeyException("no " + digestAlgorithm + " digest", e);
        }
    }
}
