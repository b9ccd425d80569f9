package dev.gatehouse.core.tls.curves;

import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyAgreement;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import dev.gatehouse.core.tls.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The BouncyCastle-backed X25519 and ECDSA P-256 services: the same results as the JDK's (RFC 7748's
 * vectors, agreements and signatures checked against {@code SunEC} both ways), the JDK's refusals,
 * chosen by the JCA for exactly the keys they serve, and taken by real TLS handshakes over loopback.
 */
class FastCurvesTest
{
    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static boolean installedBefore;
    private static Provider ours;
    private static Provider sunEc;

    @BeforeAll
    static void install()
    {
        installedBefore = FastCurves.isInstalled();
        FastCurves.apply(true);
        ours = Security.getProvider(FastCurves.PROVIDER_NAME);
        sunEc = Security.getProvider("SunEC");
        assertEquals(ours, Security.getProviders()[0], "installed first");
    }

    @AfterAll
    static void restore()
    {
        FastCurves.apply(installedBefore);
    }

    @Test
    void rfc7748KeyAgreementVectors() throws Exception
    {
        // RFC 7748, section 6.1.
        PrivateKey alice = x25519Private("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        PrivateKey bob = x25519Private("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        PublicKey alicePublic = x25519Public("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        PublicKey bobPublic = x25519Public("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        byte[] shared = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

        assertArrayEquals(shared, agree(ours, alice, bobPublic));
        assertArrayEquals(shared, agree(ours, bob, alicePublic));
    }

    @Test
    void keyPairsAndAgreementsMatchTheJdksBothWays() throws Exception
    {
        KeyPairGenerator ourGenerator = KeyPairGenerator.getInstance("XDH", ours);
        KeyPairGenerator jdkGenerator = KeyPairGenerator.getInstance("XDH", sunEc);
        jdkGenerator.initialize(NamedParameterSpec.X25519);
        for (int i = 0; i < 20; i++)
        {
            KeyPair mine = ourGenerator.generateKeyPair();
            KeyPair theirs = jdkGenerator.generateKeyPair();
            // The keys are the JDK's own objects, not look-alikes.
            assertEquals(sunEc, KeyFactory.getInstance("XDH", sunEc).getProvider());
            assertEquals(mine.getPublic(), KeyFactory.getInstance("XDH", sunEc).generatePublic(new java.security.spec.X509EncodedKeySpec(mine.getPublic().getEncoded())));

            byte[] jdkSide = agree(sunEc, theirs.getPrivate(), mine.getPublic());
            assertArrayEquals(jdkSide, agree(ours, mine.getPrivate(), theirs.getPublic()), "our public key belongs to our private key");
            assertArrayEquals(jdkSide, agree(sunEc, mine.getPrivate(), theirs.getPublic()));
            assertArrayEquals(agree(sunEc, theirs.getPrivate(), theirs.getPublic()), agree(ours, theirs.getPrivate(), theirs.getPublic()));
        }
    }

    @Test
    void publicKeysOfSmallOrderAreRefusedAsByTheJdk() throws Exception
    {
        PrivateKey key = KeyPairGenerator.getInstance("XDH", ours).generateKeyPair().getPrivate();
        // u = 0 and u = 1, and a point of order 8 (the list of libsodium and RFC 7748's discussion).
        for (String u : List.of("0000000000000000000000000000000000000000000000000000000000000000",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"))
        {
            PublicKey weak = x25519Public(u);
            InvalidKeyException refused = assertThrows(InvalidKeyException.class, () -> agree(ours, key, weak));
            assertEquals("the X25519 public key has small order (the shared secret would be all zeros)", refused.getMessage());
            assertThrows(Exception.class, () -> agree(sunEc, key, weak), "the JDK refuses it too");
        }
    }

    @Test
    void theJcaPicksItForX25519AndP256KeysOnlyAndTheJdkForTheRest() throws Exception
    {
        KeyPair x25519 = KeyPairGenerator.getInstance("XDH").generateKeyPair();
        assertEquals(FastCurves.PROVIDER_NAME, providerOf(KeyAgreement.getInstance("XDH"), x25519.getPrivate()));
        assertEquals(FastCurves.PROVIDER_NAME, providerOf(KeyAgreement.getInstance("X25519"), x25519.getPrivate()));

        KeyPairGenerator x448Generator = KeyPairGenerator.getInstance("XDH");
        x448Generator.initialize(NamedParameterSpec.X448);
        KeyPair x448 = x448Generator.generateKeyPair();
        assertEquals("X448", ((NamedParameterSpec)((java.security.interfaces.XECKey)x448.getPrivate()).getParams()).getName());
        assertEquals("SunEC", x448Generator.getProvider().getName());
        assertEquals("SunEC", providerOf(KeyAgreement.getInstance("XDH"), x448.getPrivate()));

        KeyPair p256 = ec("secp256r1");
        KeyPair p384 = ec("secp384r1");
        for (String algorithm : List.of("SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA"))
        {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(p256.getPrivate());
            assertEquals(FastCurves.PROVIDER_NAME, signer.getProvider().getName(), algorithm);
            Signature other = Signature.getInstance(algorithm);
            other.initSign(p384.getPrivate());
            assertEquals("SunEC", other.getProvider().getName(), algorithm + " with P-384");
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(p256.getPublic());
            assertEquals(FastCurves.PROVIDER_NAME, verifier.getProvider().getName(), algorithm + " verifying");
            Signature otherVerifier = Signature.getInstance(algorithm);
            otherVerifier.initVerify(p384.getPublic());
            assertEquals("SunEC", otherVerifier.getProvider().getName(), algorithm + " verifying with P-384");
        }
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048);
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(rsaGenerator.generateKeyPair().getPrivate());
        assertNotEquals(FastCurves.PROVIDER_NAME, rsa.getProvider().getName());
    }

    @Test
    void signaturesVerifyWithTheJdkAndNeverRepeat() throws Exception
    {
        KeyPair p256 = ec("secp256r1");
        for (String algorithm : List.of("SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA"))
        {
            Signature signer = Signature.getInstance(algorithm, ours);
            signer.initSign(p256.getPrivate());
            for (int i = 0; i < 10; i++)
            {
                byte[] message = new byte[RANDOM.nextInt(2000)];
                RANDOM.nextBytes(message);
                // One signer, many signatures: each sign() starts afresh, as the JDK's.
                signer.update(message, 0, message.length / 2);
                signer.update(ByteBuffer.wrap(message, message.length / 2, message.length - message.length / 2));
                byte[] signature = signer.sign();
                signer.update(message);
                byte[] again = signer.sign();
                assertFalse(java.util.Arrays.equals(signature, again), "a fresh random k for every signature");

                Signature jdk = Signature.getInstance(algorithm, sunEc);
                jdk.initVerify(p256.getPublic());
                jdk.update(message);
                assertTrue(jdk.verify(signature), algorithm + " verifies with SunEC");
                jdk.update(message);
                assertTrue(jdk.verify(again));
                if (message.length > 0)
                {
                    message[0] ^= 1;
                    jdk.update(message);
                    assertFalse(jdk.verify(signature), "a changed message does not verify");
                    message[0] ^= 1;
                }

                // The same object verifies too (by the JDK's code): sign, then verify, as the JCA allows.
                Signature both = Signature.getInstance(algorithm, ours);
                both.initSign(p256.getPrivate());
                both.update(message);
                byte[] own = both.sign();
                both.initVerify(p256.getPublic());
                both.update(message);
                assertTrue(both.verify(own));
            }
        }
    }

    @Test
    void verificationAgreesWithTheJdkOnGoodAndBadSignatures() throws Exception
    {
        KeyPair p256 = ec("secp256r1");
        KeyPair other = ec("secp256r1");
        for (String algorithm : List.of("SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA"))
        {
            Signature jdkSigner = Signature.getInstance(algorithm, sunEc);
            jdkSigner.initSign(p256.getPrivate());
            for (int i = 0; i < 25; i++)
            {
                byte[] message = new byte[1 + RANDOM.nextInt(2000)];
                RANDOM.nextBytes(message);
                jdkSigner.update(message);
                byte[] signature = jdkSigner.sign();

                assertTrue(verify(ours, algorithm, p256.getPublic(), message, signature), "the JDK's signature verifies");
                assertFalse(verify(ours, algorithm, other.getPublic(), message, signature), "not with another key");
                byte[] changedMessage = message.clone();
                changedMessage[RANDOM.nextInt(changedMessage.length)] ^= 0x10;
                assertFalse(verify(ours, algorithm, p256.getPublic(), changedMessage, signature), "not for another message");
                // A bit flipped in r or s (the last byte of the DER belongs to s): the JDK and this agree.
                byte[] changedSignature = signature.clone();
                changedSignature[changedSignature.length - 1] ^= 0x01;
                assertFalse(verify(ours, algorithm, p256.getPublic(), message, changedSignature));
                assertFalse(verify(sunEc, algorithm, p256.getPublic(), message, changedSignature));
            }
        }

        byte[] message = "the same message".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance("SHA256withECDSA", sunEc);
        signer.initSign(p256.getPrivate());
        signer.update(message);
        byte[] der = signer.sign();
        // Not DER, trailing bytes, r = 0, s = n: refused (an exception or false, never true), as by the JDK.
        BigInteger n = ((java.security.interfaces.ECPublicKey)p256.getPublic()).getParams().getOrder();
        byte[] withTrailingByte = java.util.Arrays.copyOf(der, der.length + 1);
        for (byte[] bad : List.of(new byte[]{1, 2, 3}, withTrailingByte, derOf(BigInteger.ZERO, BigInteger.ONE), derOf(BigInteger.ONE, n)))
        {
            assertFalse(verifiesOrThrows(ours, p256.getPublic(), message, bad), HEX.formatHex(bad));
            assertFalse(verifiesOrThrows(sunEc, p256.getPublic(), message, bad), HEX.formatHex(bad));
        }
        Signature refusing = Signature.getInstance("SHA256withECDSA", ours);
        refusing.initVerify(p256.getPublic());
        refusing.update(message);
        java.security.SignatureException notDer = assertThrows(java.security.SignatureException.class, () -> refusing.verify(withTrailingByte));
        assertEquals("Invalid encoding for signature", notDer.getMessage());
        // (n - s) is the other valid s for the same r; the JDK accepts it, and so does this.
        BigInteger[] rs = org.bouncycastle.crypto.signers.StandardDSAEncoding.INSTANCE.decode(n, der);
        byte[] otherS = derOf(rs[0], n.subtract(rs[1]));
        assertEquals(verify(sunEc, "SHA256withECDSA", p256.getPublic(), message, otherS), verify(ours, "SHA256withECDSA", p256.getPublic(), message, otherS));
    }

    @Test
    void whatItDoesNotServeIsRefusedWithAReason() throws Exception
    {
        Signature signer = Signature.getInstance("SHA256withECDSA", ours);
        InvalidKeyException p384 = assertThrows(InvalidKeyException.class, () -> signer.initSign(ec("secp384r1").getPrivate()));
        assertTrue(p384.getMessage().startsWith("this signer takes P-256 private keys only, not EC"), p384.getMessage());
        assertThrows(java.security.SignatureException.class, signer::sign, "not initialised");

        KeyPairGenerator generator = KeyPairGenerator.getInstance("X25519", ours);
        InvalidAlgorithmParameterException x448 = assertThrows(InvalidAlgorithmParameterException.class, () -> generator.initialize(NamedParameterSpec.X448));
        assertTrue(x448.getMessage().startsWith("this generator makes X25519 keys only"), x448.getMessage());

        KeyPair pair = generator.generateKeyPair();
        KeyAgreement agreement = KeyAgreement.getInstance("XDH", ours);
        assertThrows(IllegalStateException.class, () -> agreement.doPhase(pair.getPublic(), true), "not initialised");
        InvalidKeyException wrongKey = assertThrows(InvalidKeyException.class, () -> agreement.init(ec("secp256r1").getPrivate()));
        assertEquals("an X25519 private key is needed, not EC private key", wrongKey.getMessage());
        agreement.init(pair.getPrivate());
        assertThrows(IllegalStateException.class, agreement::generateSecret, "no phase yet");
        assertThrows(IllegalStateException.class, () -> agreement.doPhase(pair.getPublic(), false), "one phase only");
        assertNull(agreement.doPhase(pair.getPublic(), true));
        NoSuchAlgorithmException aes = assertThrows(NoSuchAlgorithmException.class, () -> agreement.generateSecret("AES"));
        assertEquals("an X25519 shared secret makes a TlsPremasterSecret or Generic key only, not AES", aes.getMessage());
        agreement.doPhase(pair.getPublic(), true);
        assertEquals("TlsPremasterSecret", agreement.generateSecret("TlsPremasterSecret").getAlgorithm());
        assertThrows(IllegalStateException.class, agreement::generateSecret, "generateSecret resets the agreement");
    }

    @Test
    void tlsHandshakesOverLoopbackTakeItWhenInstalledAndNotWhenRemoved(@TempDir Path directory) throws Exception
    {
        KeyStore keyStore = SelfSignedCertificate.loadOrCreate(directory.resolve("localhost.p12"));
        try
        {
            for (String protocol : List.of("TLSv1.3", "TLSv1.2"))
            {
                FastCurves.Usage before = FastCurves.usage();
                assertEquals(protocol, handshake(keyStore, protocol));
                FastCurves.Usage after = FastCurves.usage();
                // The server signs once (CertificateVerify, or ServerKeyExchange over TLS 1.2); server
                // and client agree once each. Nothing else in this JVM signs meanwhile.
                assertTrue(after.p256Signatures() - before.p256Signatures() >= 1, protocol + ": " + before + " -> " + after);
                assertTrue(after.x25519Agreements() - before.x25519Agreements() >= 2, protocol + ": " + before + " -> " + after);
            }

            assertFalse(FastCurves.apply(false));
            assertFalse(FastCurves.isInstalled());
            FastCurves.Usage before = FastCurves.usage();
            assertEquals("TLSv1.3", handshake(keyStore, "TLSv1.3"));
            assertEquals(before, FastCurves.usage(), "the JDK's own arithmetic once removed");
        }
        finally
        {
            FastCurves.apply(true);
        }
    }

    /**
     * One HTTP-ish exchange over a real TLS connection on loopback, both ends the JDK's TLS.
     *
     * @return the protocol the connection negotiated
     */
    private static String handshake(KeyStore keyStore, String protocol) throws Exception
    {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, SelfSignedCertificate.PASSWORD.toCharArray());
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keys.getKeyManagers(), null, null);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(keyStore);
        SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, trust.getTrustManagers(), null);

        try (SSLServerSocket server = (SSLServerSocket)serverContext.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            server.setEnabledProtocols(new String[]{protocol});
            CompletableFuture<Void> served = CompletableFuture.runAsync(() ->
            {
                try (SSLSocket accepted = (SSLSocket)server.accept())
                {
                    InputStream in = accepted.getInputStream();
                    byte[] request = in.readNBytes(5);
                    OutputStream out = accepted.getOutputStream();
                    out.write(("hello " + new String(request, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                }
                catch (Exception e)
                {
                    throw new RuntimeException(e);
                }
            });
            try (SSLSocket client = (SSLSocket)clientContext.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort()))
            {
                client.setEnabledProtocols(new String[]{protocol});
                client.setSoTimeout(30_000);
                // The JDK's client offers an X25519 key share first; the certificate is P-256.
                client.getOutputStream().write("world".getBytes(StandardCharsets.US_ASCII));
                client.getOutputStream().flush();
                assertEquals("hello world", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                served.get(30, TimeUnit.SECONDS);
                return client.getSession().getProtocol();
            }
        }
    }

    private static boolean verify(Provider provider, String algorithm, PublicKey key, byte[] message, byte[] signature) throws Exception
    {
        Signature verifier = Signature.getInstance(algorithm, provider);
        verifier.initVerify(key);
        verifier.update(message);
        return verifier.verify(signature);
    }

    private static boolean verifiesOrThrows(Provider provider, PublicKey key, byte[] message, byte[] signature) throws Exception
    {
        try
        {
            return verify(provider, "SHA256withECDSA", key, message, signature);
        }
        catch (java.security.SignatureException refused)
        {
            return false;
        }
    }

    private static byte[] derOf(BigInteger r, BigInteger s) throws Exception
    {
        return new org.bouncycastle.asn1.DERSequence(new org.bouncycastle.asn1.ASN1Encodable[]{
            new org.bouncycastle.asn1.ASN1Integer(r), new org.bouncycastle.asn1.ASN1Integer(s)}).getEncoded();
    }

    private static String providerOf(KeyAgreement agreement, PrivateKey key) throws Exception
    {
        agreement.init(key);
        return agreement.getProvider().getName();
    }

    private static byte[] agree(Provider provider, PrivateKey key, PublicKey peer) throws Exception
    {
        KeyAgreement agreement = KeyAgreement.getInstance("XDH", provider);
        agreement.init(key);
        agreement.doPhase(peer, true);
        return agreement.generateSecret();
    }

    private static PrivateKey x25519Private(String hex) throws Exception
    {
        return KeyFactory.getInstance("XDH", sunEc).generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, HEX.parseHex(hex)));
    }

    private static PublicKey x25519Public(String littleEndianHex) throws Exception
    {
        byte[] bytes = HEX.parseHex(littleEndianHex);
        byte[] bigEndian = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++)
            bigEndian[i] = bytes[bytes.length - 1 - i];
        return KeyFactory.getInstance("XDH", sunEc).generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, bigEndian)));
    }

    private static KeyPair ec(String curve) throws Exception
    {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", sunEc);
        generator.initialize(new ECGenParameterSpec(curve));
        return generator.generateKeyPair();
    }
}
