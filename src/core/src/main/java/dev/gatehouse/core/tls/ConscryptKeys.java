package dev.gatehouse.core.tls;

import java.net.Socket;
import java.security.InvalidAlgorithmParameterException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.UnrecoverableKeyException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.KeyManagerFactorySpi;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands Conscrypt the server's private keys in its own native form, converted once per key
 * manager. Conscrypt asks the key manager for the key on every handshake and, for a JDK key
 * object, parses its PKCS#8 encoding into a new BoringSSL key each time (2% of the CPU of a new
 * TLS connection in the benchmark's profile); a key made by Conscrypt's own {@code KeyFactory}
 * already holds the native key, which Conscrypt uses as it is.
 *
 * <p>Jetty builds its key managers from the factory algorithm it is configured with;
 * {@link #apply} names a wrapping algorithm instead ({@code GatehouseConscryptKeys-<algorithm>},
 * answered by a JCA provider this class installs), whose key managers are the configured
 * algorithm's with the keys converted. Everything else (aliases, chains, SNI selection by Jetty's
 * own wrappers around these managers, reloads, which build new managers) is unchanged. A key that
 * Conscrypt's factory does not take is handed over as it was.</p>
 */
public final class ConscryptKeys
{
    public static final String PROVIDER_NAME = "GatehouseConscryptKeys";
    private static final String ALGORITHM_PREFIX = PROVIDER_NAME + "-";
    private static final Logger LOG = LoggerFactory.getLogger(ConscryptKeys.class);

    private ConscryptKeys()
    {
    }

    /**
     * Makes the key managers of a Conscrypt TLS context hand out native keys. Call before it starts.
     */
    public static void apply(SslContextFactory.Server ssl)
    {
        install();
        String algorithm = ssl.getKeyManagerFactoryAlgorithm();
        if (!algorithm.startsWith(ALGORITHM_PREFIX))
            ssl.setKeyManagerFactoryAlgorithm(ALGORITHM_PREFIX + algorithm);
    }

    private static synchronized void install()
    {
        if (Security.getProvider(PROVIDER_NAME) == null)
            Security.addProvider(new KeysProvider());
    }

    /** Answers {@code KeyManagerFactory.GatehouseConscryptKeys-<algorithm>} for any algorithm. */
    private static final class KeysProvider extends Provider
    {
        private KeysProvider()
        {
            super(PROVIDER_NAME, "1.0", "Gatehouse: key managers handing Conscrypt native private keys");
        }

        @Override
        public Service getService(String type, String algorithm)
        {
            if (!"KeyManagerFactory".equals(type) || algorithm == null || !algorithm.startsWith(ALGORITHM_PREFIX))
                return super.getService(type, algorithm);
            String wrapped = algorithm.substring(ALGORITHM_PREFIX.length());
            return new Service(this, type, algorithm, NativeKeysFactory.class.getName(), null, null)
            {
                @Override
                public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException
                {
                    return new NativeKeysFactory(KeyManagerFactory.getInstance(wrapped));
                }
            };
        }
    }

    private static final class NativeKeysFactory extends KeyManagerFactorySpi
    {
        private final KeyManagerFactory wrapped;

        private NativeKeysFactory(KeyManagerFactory wrapped)
        {
            this.wrapped = wrapped;
        }

        @Override
        protected void engineInit(KeyStore keyStore, char[] password) throws KeyStoreException, NoSuchAlgorithmException, UnrecoverableKeyException
        {
            wrapped.init(keyStore, password);
        }

        @Override
        protected void engineInit(ManagerFactoryParameters parameters) throws InvalidAlgorithmParameterException
        {
            wrapped.init(parameters);
        }

        @Override
        protected KeyManager[] engineGetKeyManagers()
        {
            KeyManager[] managers = wrapped.getKeyManagers();
            for (int i = 0; i < managers.length; i++)
            {
                if (managers[i] instanceof X509ExtendedKeyManager keys)
                    managers[i] = new NativeKeyManager(keys);
            }
            return managers;
        }
    }

    /** A key manager whose private keys are Conscrypt's, converted on first use and kept. */
    static final class NativeKeyManager extends X509ExtendedKeyManager
    {
        private final X509ExtendedKeyManager keys;
        private final Map<String, PrivateKey> nativeKeys = new ConcurrentHashMap<>();

        NativeKeyManager(X509ExtendedKeyManager keys)
        {
            this.keys = keys;
        }

        @Override
        public PrivateKey getPrivateKey(String alias)
        {
            if (alias == null)
                return null;
            // No entry is made for an alias without a key (the function answers null).
            return nativeKeys.computeIfAbsent(alias, known ->
            {
                PrivateKey original = keys.getPrivateKey(known);
                return original == null ? null : toNative(original);
            });
        }

        private static PrivateKey toNative(PrivateKey key)
        {
            Provider conscrypt = Security.getProvider(TlsProviders.CONSCRYPT);
            byte[] encoded = key.getEncoded();
            if (conscrypt == null || encoded == null || !"PKCS#8".equals(key.getFormat()))
                return key;
            try
            {
                return KeyFactory.getInstance(key.getAlgorithm(), conscrypt).generatePrivate(new PKCS8EncodedKeySpec(encoded));
            }
            catch (Exception | LinkageError e)
            {
                // Conscrypt converts such a key itself at each handshake, as without this class.
                LOG.debug("Conscrypt's key factory does not take a {} key; handing it over as it is", key.getAlgorithm(), e);
                return key;
            }
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers)
        {
            return keys.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket)
        {
            return keys.chooseClientAlias(keyTypes, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers)
        {
            return keys.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket)
        {
            return keys.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias)
        {
            return keys.getCertificateChain(alias);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine)
        {
            return keys.chooseEngineClientAlias(keyTypes, issuers, engine);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine)
        {
            return keys.chooseEngineServerAlias(keyType, issuers, engine);
        }
    }
}
