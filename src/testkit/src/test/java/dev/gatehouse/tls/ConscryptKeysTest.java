package dev.gatehouse.tls;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.X509ExtendedKeyManager;

import dev.gatehouse.core.tls.ConscryptKeys;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.TestCertificates;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.conscrypt.Conscrypt;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conscrypt gets the server's private key in its native form, made once per key manager (before,
 * Conscrypt parsed the JDK key's PKCS#8 encoding on every handshake), for EC and RSA keys; the
 * keys still serve real handshakes, and Gatehouse applies it to a listener whose TLS is Conscrypt's
 * (the assembled distribution's tests serve through it: Conscrypt is their default).
 */
class ConscryptKeysTest
{
    private static final String PASSWORD = TestCertificates.PASSWORD;

    @BeforeAll
    static void registerConscrypt()
    {
        if (Security.getProvider("Conscrypt") == null)
            Security.addProvider(Conscrypt.newProvider());
    }

    /** Jetty's server context, with its key managers in reach of the test. */
    private static final class Exposed extends SslContextFactory.Server
    {
        KeyManager[] keyManagers(KeyStore keyStore) throws Exception
        {
            return getKeyManagers(keyStore);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"EC", "RSA"})
    void jettysKeyManagersHandConscryptANativeKeyMadeOnce(String keyType) throws Exception
    {
        KeyStore keyStore = keyStore(keyType);
        Exposed ssl = new Exposed();
        ssl.setProvider("Conscrypt");
        ConscryptKeys.apply(ssl);
        ssl.setKeyStore(keyStore);
        ssl.setKeyStorePassword(PASSWORD);

        X509ExtendedKeyManager keys = Arrays.stream(ssl.keyManagers(keyStore))
            .filter(X509ExtendedKeyManager.class::isInstance).map(X509ExtendedKeyManager.class::cast).findFirst().orElseThrow();
        PrivateKey key = keys.getPrivateKey("server");
        PrivateKey original = (PrivateKey)keyStore.getKey("server", PASSWORD.toCharArray());

        assertTrue(key.getClass().getName().startsWith("org.conscrypt."), key.getClass().getName());
        assertSame(key, keys.getPrivateKey("server"), "converted once");
        assertEquals(original.getAlgorithm(), key.getAlgorithm());
        assertNotSame(original, key);
        assertEquals(List.of(keyStore.getCertificateChain("server")), List.of(keys.getCertificateChain("server")));

        // Applying twice does not wrap twice.
        String algorithm = ssl.getKeyManagerFactoryAlgorithm();
        ConscryptKeys.apply(ssl);
        assertEquals(algorithm, ssl.getKeyManagerFactoryAlgorithm());
    }

    @ParameterizedTest
    @ValueSource(strings = {"EC", "RSA"})
    void aConscryptServerHandshakesWithTheNativeKey(String keyType) throws Exception
    {
        KeyStore keyStore = keyStore(keyType);
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setProvider("Conscrypt");
        ConscryptKeys.apply(ssl);
        ssl.setKeyStore(keyStore);
        ssl.setKeyStorePassword(PASSWORD);
        Server server = new Server();
        HttpConnectionFactory http = new HttpConnectionFactory();
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(ssl, http.getProtocol()), http);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                response.write(true, ByteBuffer.wrap("served".getBytes(StandardCharsets.US_ASCII)), callback);
                return true;
            }
        });
        server.start();
        ClientConnector clientConnector = new ClientConnector();
        SslContextFactory.Client clientTls = new SslContextFactory.Client();
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", keyStore.getCertificate("server"));
        clientTls.setTrustStore(trust);
        clientTls.setEndpointIdentificationAlgorithm(null);
        clientConnector.setSslContextFactory(clientTls);
        HttpClient client = new HttpClient(new HttpClientTransportDynamic(clientConnector));
        try
        {
            client.start();
            for (int i = 0; i < 3; i++)
            {
                // A connection each: a full handshake signed with the key each time.
                assertEquals("served", client.newRequest("https://127.0.0.1:" + connector.getLocalPort() + "/").headers(h -> h.put("Connection", "close")).send().getContentAsString());
            }
            assertEquals("Conscrypt", ssl.getSslContext().getProvider().getName());
        }
        finally
        {
            client.stop();
            server.stop();
        }
    }

    @Test
    void gatehouseHandsNativeKeysToAConscryptListenerOnly() throws Exception
    {
        for (String provider : List.of("conscrypt", "jdk"))
        {
            try (GatehouseHarness gatehouse = GatehouseHarness.builder().property("gatehouse.tls.provider", provider).start())
            {
                // Serving with it is the distribution's tests' part (DistributionIT serves over
                // Conscrypt by default): this class path has no Conscrypt ALPN processor.
                SslContextFactory.Server ssl = listenerTls(gatehouse);
                assertEquals(provider.equals("conscrypt") ? "Conscrypt" : "SunJSSE", ssl.getSslContext().getProvider().getName());
                assertEquals(provider.equals("conscrypt"), ssl.getKeyManagerFactoryAlgorithm().startsWith(ConscryptKeys.PROVIDER_NAME + "-"), ssl.getKeyManagerFactoryAlgorithm());
            }
        }
    }

    private static SslContextFactory.Server listenerTls(GatehouseHarness gatehouse)
    {
        for (Connector connector : gatehouse.server().getConnectors())
        {
            SslConnectionFactory tls = connector.getConnectionFactory(SslConnectionFactory.class);
            if (tls != null)
                return (SslContextFactory.Server)tls.getSslContextFactory();
        }
        throw new AssertionError("no TLS listener");
    }

    /** A PKCS12 key store (alias "server") with a self-signed certificate for 127.0.0.1 and an EC or RSA key. */
    private static KeyStore keyStore(String keyType) throws Exception
    {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(keyType);
        generator.initialize(keyType.equals("EC") ? 256 : 2048);
        KeyPair keys = generator.generateKeyPair();
        X500Name name = new X500Name("CN=127.0.0.1");
        Instant now = Instant.now();
        X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
            new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))), name, keys.getPublic())
                .build(new JcaContentSignerBuilder(keyType.equals("EC") ? "SHA256withECDSA" : "SHA256withRSA").build(keys.getPrivate())));
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", keys.getPrivate(), PASSWORD.toCharArray(), new X509Certificate[]{certificate});
        return store;
    }
}
