package dev.gatehouse.plugin.gate;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.OutageTolerantJWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jose.util.Resource;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issuer's signing keys: a nimbus {@link JWKSourceBuilder} source with caching, background
 * refresh-ahead, a rate-limited refetch when a token names an unknown {@code kid}, one retry, and
 * outage tolerance (off in nimbus by default: turned on here, so that a Cloudflare or IdP hiccup
 * does not lock everyone out while the cached keys are still good). Built and warmed in
 * {@link #doStart}: the key URL of an OIDC issuer comes from its discovery document, fetched
 * there. Keys that are too weak or not meant for signatures are filtered out of every answer.
 */
public class GateKeys extends AbstractLifeCycle implements JWKSource<SecurityContext>
{
    private static final Logger LOG = LoggerFactory.getLogger(GateKeys.class);

    private final GateConfig config;
    private final AtomicBoolean everLoaded = new AtomicBoolean();
    private volatile JWKSource<SecurityContext> source;
    private volatile String describedSource = "(not started)";
    private long lastBuildAttempt;

    public GateKeys(GateConfig config)
    {
        this.config = config;
    }

    /**
     * @return whether keys were ever obtained; until then a token cannot be judged (503, not 401)
     */
    boolean everLoaded()
    {
        return everLoaded.get();
    }

    String describe()
    {
        return describedSource;
    }

    @Override
    protected void doStart() throws Exception
    {
        if (config.getJwksFile() != null)
            source = build(); // a broken local file is a configuration error: fail the start
        else
            tryBuild();
        if (source != null)
            warmUp();
        super.doStart();
    }

    /**
     * Builds the remote source; when the discovery document cannot be read (an uplink outage at
     * boot) the server still starts and answers 503, and the next request after the rate-limit
     * interval tries again.
     */
    private synchronized JWKSource<SecurityContext> tryBuild()
    {
        if (source != null)
            return source;
        long now = System.nanoTime();
        if (lastBuildAttempt != 0 && now - lastBuildAttempt < config.getJwksRateLimit().toNanos())
            return null;
        lastBuildAttempt = now;
        try
        {
            source = build();
        }
        catch (IOException | java.text.ParseException e)
        {
            LOG.warn("gate: cannot find the issuer's keys ({}); token-protected requests get 503 until it works", e.toString());
        }
        return source;
    }

    @Override
    protected void doStop() throws Exception
    {
        // The built source owns the refresh-ahead executor.
        if (source instanceof Closeable closeable)
            closeable.close();
        source = null;
        super.doStop();
    }

    private DefaultResourceRetriever retriever()
    {
        int timeout = (int)config.getHttpTimeout().toMillis();
        return new DefaultResourceRetriever(timeout, timeout, config.getJwksSizeLimit().toIntBytes());
    }

    private JWKSource<SecurityContext> build() throws IOException, java.text.ParseException
    {
        if (config.getJwksFile() != null)
        {
            Path file = config.getJwksFile();
            JWKSet set = JWKSet.parse(Files.readString(file));
            describedSource = "file " + file + " (" + set.getKeys().size() + " keys)";
            if (!set.getKeys().isEmpty())
                everLoaded.set(true);
            return new ImmutableJWKSet<>(set);
        }
        URI keysUri = config.getJwksUrl();
        if (keysUri == null && config.isCloudflare())
            keysUri = URI.create(config.expectedIssuer() + "/cdn-cgi/access/certs");
        if (keysUri == null)
            keysUri = discover();
        describedSource = keysUri.toString();
        long ttl = config.getJwksCacheTtl().toMillis();
        long ahead = Math.min(config.getJwksRefreshAhead().toMillis(), ttl / 2);
        long rateLimit = Math.min(config.getJwksRateLimit().toMillis(), ttl - 1);
        // How long a request waits for a refresh another thread started; nimbus wants ahead + this <= ttl.
        long refreshTimeout = Math.min(2 * config.getHttpTimeout().toMillis() + 1000, ttl - ahead);
        return JWKSourceBuilder.create(keysUri.toURL(), retriever())
            .cache(ttl, refreshTimeout)
            .refreshAheadCache(ahead, true)
            .rateLimited(rateLimit, event -> LOG.debug("gate: key fetch rate limit reached"))
            .retrying(true)
            .outageTolerant(config.getJwksOutageTolerance().toMillis(), event ->
            {
                if (event instanceof OutageTolerantJWKSetSource.OutageEvent<?> outage)
                    LOG.warn("gate: cannot fetch the keys from {} ({}); using the last fetched keys for {} s more", describedSource, outage.getException().toString(), outage.getRemainingTime() / 1000);
            })
            .build();
    }

    /**
     * Reads the issuer's discovery document for its {@code jwks_uri}; its {@code issuer} must be
     * the configured one exactly (OpenID Connect Discovery 1.0, section 4.3).
     */
    private URI discover() throws IOException, java.text.ParseException
    {
        String issuer = config.expectedIssuer();
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        URL discovery = URI.create(base + "/.well-known/openid-configuration").toURL();
        Resource document = retriever().retrieveResource(discovery);
        Map<String, Object> json = JSONObjectUtils.parse(document.getContent());
        String documentIssuer = JSONObjectUtils.getString(json, "issuer");
        if (!issuer.equals(documentIssuer))
            throw new IOException("the discovery document at " + discovery + " names the issuer '" + documentIssuer + "', not '" + issuer + "'");
        URI jwks = JSONObjectUtils.getURI(json, "jwks_uri");
        if (jwks == null || !("https".equalsIgnoreCase(jwks.getScheme()) || "http".equalsIgnoreCase(jwks.getScheme())))
            throw new IOException("the discovery document at " + discovery + " has no usable jwks_uri");
        return jwks;
    }

    private void warmUp()
    {
        try
        {
            List<JWK> keys = get(new JWKSelector(new JWKMatcher.Builder().build()), null);
            LOG.info("gate: {} usable signing keys from {}", keys.size(), describedSource);
        }
        catch (KeySourceException e)
        {
            // Not fatal: requests get 503 until the keys can be fetched (each try is rate limited).
            LOG.warn("gate: cannot fetch the signing keys from {} at start ({}); token-protected requests get 503 until they can be fetched", describedSource, e.toString());
        }
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException
    {
        JWKSource<SecurityContext> current = source;
        if (current == null && isRunning())
            current = tryBuild();
        if (current == null)
            throw new KeySourceException("no key source");
        List<JWK> keys = current.get(selector, context);
        everLoaded.set(true);
        List<JWK> usable = new ArrayList<>(keys.size());
        for (JWK key : keys)
        {
            if (usable(key))
                usable.add(key);
        }
        return usable;
    }

    /**
     * Only public signature keys of a sound size: an {@code oct} key would be a shared secret, an
     * {@code enc} key is not for signatures, and short RSA keys are forgeable.
     */
    private boolean usable(JWK key)
    {
        if (key.isPrivate() || "oct".equals(key.getKeyType().getValue()))
            return false;
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse()))
            return false;
        if (key.getKeyOperations() != null && !key.getKeyOperations().contains(KeyOperation.VERIFY))
            return false;
        return !(key instanceof RSAKey rsa) || rsa.size() >= config.getMinRsaKeySize();
    }
}
