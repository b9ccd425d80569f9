package dev.gatehouse.core.tls.curves;

import java.math.BigInteger;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;

import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;

/**
 * The curve P-256 (secp256r1) in BouncyCastle's curve-specific implementation, and the test of
 * whether JDK key parameters are that curve.
 */
final class P256
{
    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256r1");
    static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(), CURVE.getH());

    private static final BigInteger PRIME = DOMAIN.getCurve().getField().getCharacteristic();
    private static final BigInteger A = DOMAIN.getCurve().getA().toBigInteger();
    private static final BigInteger B = DOMAIN.getCurve().getB().toBigInteger();
    private static final BigInteger GX = DOMAIN.getG().getAffineXCoord().toBigInteger();
    private static final BigInteger GY = DOMAIN.getG().getAffineYCoord().toBigInteger();
    private static final BigInteger ORDER = DOMAIN.getN();
    private static final int COFACTOR = DOMAIN.getH().intValueExact();

    private P256()
    {
    }

    /**
     * @return whether the JDK parameters are P-256's: same prime field, coefficients, base point,
     * order and cofactor ({@link ECParameterSpec} has no {@code equals})
     */
    static boolean isP256(ECParameterSpec params)
    {
        if (params == null)
            return false;
        ECPoint g = params.getGenerator();
        return params.getCofactor() == COFACTOR && ORDER.equals(params.getOrder()) &&
            GX.equals(g.getAffineX()) && GY.equals(g.getAffineY()) &&
            A.equals(params.getCurve().getA()) && B.equals(params.getCurve().getB()) &&
            params.getCurve().getField() instanceof ECFieldFp field && PRIME.equals(field.getP());
    }
}
