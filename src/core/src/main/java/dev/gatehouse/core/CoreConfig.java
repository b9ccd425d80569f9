package dev.gatehouse.core;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import dev.gatehouse.core.tls.TlsProviders;
import dev.gatehouse.spi.Config;
import dev.gatehouse.spi.DataSize;

/**
 * The host's own settings: the {@code gatehouse.*} keys that belong to no plugin. Defaults are
 * sized for media: a player paused for ten minutes must resume, not be cut.
 */
public class CoreConfig
{
    /** The most connections per upstream {@code gatehouse.upstream.max-connections} accepts. */
    public static final int MAX_UPSTREAM_CONNECTIONS = 65_535;

    /**
     * How the proxy speaks to upstreams.
     */
    public enum UpstreamProtocol
    {
        /** HTTP/1.1 only: what Plex, Jellyfin and most self-hosted apps speak. */
        HTTP1,
        /** HTTP/2 only: ALPN over TLS, prior knowledge (h2c) over plain HTTP. */
        HTTP2,
        /** Offer both over TLS and let the upstream choose; HTTP/1.1 over plain HTTP. */
        AUTO
    }

    /**
     * First segments of the keys that configure the server as a whole (listeners, certificates, the
     * app scanner); an app file cannot set them.
     */
    public static final Set<String> SERVER_WIDE_SECTIONS = Set.of("client", "redirect", "tunnel", "tls", "apps");

    private URI upstream = URI.create("http://127.0.0.1:32400");
    private List<String> hosts = List.of();
    private Path appsDirectory = Path.of("webapps");
    private Duration appsScanInterval = Duration.ofSeconds(1);
    private Duration appsDrainTimeout = Duration.ofHours(1);
    private Duration upstreamConnectTimeout = Duration.ofSeconds(5);
    private Duration upstreamResponseTimeout = Duration.ofSeconds(60);
    private Duration upstreamIdleTimeout = Duration.ofMinutes(15);
    private int upstreamMaxConnections = 256;
    private UpstreamProtocol upstreamProtocol = UpstreamProtocol.HTTP1;
    private Path upstreamTrustStore;
    private String upstreamTrustStorePassword = "";
    private TlsProviders.Setting upstreamTlsProvider = TlsProviders.Setting.AUTO;
    private Duration clientIdleTimeout = Duration.ofMinutes(15);
    private String via = "gatehouse";
    private int redirectPort;
    private String redirectHost = "";
    private int tunnelPort;
    private String tunnelHost = "127.0.0.1";
    private boolean tlsSelfSigned = true;
    private List<Path> tlsCertificates = List.of();
    private String tlsCertificatesPassword = "";
    private Duration tlsScanInterval = Duration.ofSeconds(5);
    private boolean tlsFastCurves = true;
    private TlsProviders.Setting tlsProvider = TlsProviders.Setting.AUTO;
    private DataSize webSocketMaxMessageSize = DataSize.parse("16MiB");
    private DataSize webSocketMaxFrameSize = DataSize.parse("64KiB");
    private Duration webSocketIdleTimeout = Duration.ofHours(1);

    public URI getUpstream()
    {
        return upstream;
    }

    @Config(value = "upstream", description = "where requests go: http://host:port or https://host:port")
    public void setUpstream(URI upstream)
    {
        if (!"http".equals(upstream.getScheme()) && !"https".equals(upstream.getScheme()))
            throw new IllegalArgumentException("the upstream must be an http:// or https:// URI");
        if (upstream.getRawQuery() != null || upstream.getRawFragment() != null || upstream.getRawUserInfo() != null)
            throw new IllegalArgumentException("the upstream URI takes a scheme, host, port and optional path only");
        this.upstream = upstream;
    }

    public List<String> getHosts()
    {
        return hosts;
    }

    @Config(value = "hosts", description = "host names this app answers for, e.g. plex.example.com,*.plex.example.com; empty: the default app answers every host no app file claims")
    public void setHosts(List<String> hosts)
    {
        this.hosts = HostNames.normalize(hosts);
    }

    public Path getAppsDirectory()
    {
        return appsDirectory;
    }

    @Config(value = "apps.directory", description = "where app files (<name>.properties, one per app) are deployed from, relative to jetty.base")
    public void setAppsDirectory(Path appsDirectory)
    {
        this.appsDirectory = appsDirectory;
    }

    public Duration getAppsScanInterval()
    {
        return appsScanInterval;
    }

    @Config(value = "apps.scan-interval", description = "how often the apps directory is checked for added, changed and removed app files, in whole seconds; 0s deploys at start only")
    public void setAppsScanInterval(Duration appsScanInterval)
    {
        if (appsScanInterval.isNegative() || appsScanInterval.toMillis() % 1000 != 0)
            throw new IllegalArgumentException("use whole seconds, e.g. 1s; 0s is off");
        this.appsScanInterval = appsScanInterval;
    }

    public Duration getAppsDrainTimeout()
    {
        return appsDrainTimeout;
    }

    @Config(value = "apps.drain-timeout", description = "when an app file changes or goes, how long requests already in flight (a download) may finish on the old version before it is stopped")
    public void setAppsDrainTimeout(Duration appsDrainTimeout)
    {
        if (appsDrainTimeout.isNegative())
            throw new IllegalArgumentException("must not be negative; 0s stops the old version at once");
        this.appsDrainTimeout = appsDrainTimeout;
    }

    public Duration getUpstreamConnectTimeout()
    {
        return upstreamConnectTimeout;
    }

    @Config(value = "upstream.connect-timeout", description = "how long to wait for a TCP and TLS connection to the upstream; past it, 502")
    public void setUpstreamConnectTimeout(Duration upstreamConnectTimeout)
    {
        requirePositive(upstreamConnectTimeout);
        this.upstreamConnectTimeout = upstreamConnectTimeout;
    }

    public Duration getUpstreamResponseTimeout()
    {
        return upstreamResponseTimeout;
    }

    @Config(value = "upstream.response-timeout", description = "how long the upstream may take to start its response once it has the whole request; past it, 504")
    public void setUpstreamResponseTimeout(Duration upstreamResponseTimeout)
    {
        requirePositive(upstreamResponseTimeout);
        this.upstreamResponseTimeout = upstreamResponseTimeout;
    }

    public Duration getUpstreamIdleTimeout()
    {
        return upstreamIdleTimeout;
    }

    @Config(value = "upstream.idle-timeout", description = "how long an upstream connection may carry no bytes, e.g. while a player is paused")
    public void setUpstreamIdleTimeout(Duration upstreamIdleTimeout)
    {
        requirePositive(upstreamIdleTimeout);
        this.upstreamIdleTimeout = upstreamIdleTimeout;
    }

    public int getUpstreamMaxConnections()
    {
        return upstreamMaxConnections;
    }

    @Config(value = "upstream.max-connections", description = "connections per upstream; each HTTP/1.1 stream holds one")
    public void setUpstreamMaxConnections(int upstreamMaxConnections)
    {
        if (upstreamMaxConnections < 1)
            throw new IllegalArgumentException("must be at least 1");
        // The pool sizes its slots for the maximum up front; one local address reaches one
        // upstream over at most 65,535 ports anyway.
        if (upstreamMaxConnections > MAX_UPSTREAM_CONNECTIONS)
            throw new IllegalArgumentException("must be at most " + MAX_UPSTREAM_CONNECTIONS + " (the TCP ports one address has)");
        this.upstreamMaxConnections = upstreamMaxConnections;
    }

    public UpstreamProtocol getUpstreamProtocol()
    {
        return upstreamProtocol;
    }

    @Config(value = "upstream.protocol", description = "http1, http2 or auto")
    public void setUpstreamProtocol(UpstreamProtocol upstreamProtocol)
    {
        this.upstreamProtocol = upstreamProtocol;
    }

    public Path getUpstreamTrustStore()
    {
        return upstreamTrustStore;
    }

    @Config(value = "upstream.trust-store", description = "extra CA certificates (PEM or PKCS12) trusted for https upstreams, besides the JDK's")
    public void setUpstreamTrustStore(Path upstreamTrustStore)
    {
        this.upstreamTrustStore = upstreamTrustStore;
    }

    public String getUpstreamTrustStorePassword()
    {
        return upstreamTrustStorePassword;
    }

    @Config(value = "upstream.trust-store-password", description = "password of a PKCS12 trust store", secret = true)
    public void setUpstreamTrustStorePassword(String upstreamTrustStorePassword)
    {
        this.upstreamTrustStorePassword = upstreamTrustStorePassword;
    }

    public Duration getClientIdleTimeout()
    {
        return clientIdleTimeout;
    }

    @Config(value = "client.idle-timeout", description = "how long a client connection may carry no bytes; applies to every Gatehouse listener")
    public void setClientIdleTimeout(Duration clientIdleTimeout)
    {
        requirePositive(clientIdleTimeout);
        this.clientIdleTimeout = clientIdleTimeout;
    }

    public String getVia()
    {
        return via;
    }

    @Config(value = "via", description = "the pseudonym in the Via header sent upstream (never the machine's host name); empty sends no Via")
    public void setVia(String via)
    {
        if (!via.isEmpty() && !via.matches("[A-Za-z0-9._-]+"))
            throw new IllegalArgumentException("use letters, digits, '.', '_' or '-' only");
        this.via = via;
    }

    public int getRedirectPort()
    {
        return redirectPort;
    }

    @Config(value = "redirect.port", description = "plain-HTTP port that redirects browsers to HTTPS, e.g. 80; 0 is off")
    public void setRedirectPort(int redirectPort)
    {
        requirePort(redirectPort);
        this.redirectPort = redirectPort;
    }

    public String getRedirectHost()
    {
        return redirectHost;
    }

    @Config(value = "redirect.host", description = "address the redirect listener binds; empty is every interface")
    public void setRedirectHost(String redirectHost)
    {
        this.redirectHost = redirectHost;
    }

    public int getTunnelPort()
    {
        return tunnelPort;
    }

    @Config(value = "tunnel.port", description = "plain-HTTP loopback port for a Cloudflare Tunnel (cloudflared -> http://localhost:PORT); 0 is off")
    public void setTunnelPort(int tunnelPort)
    {
        requirePort(tunnelPort);
        this.tunnelPort = tunnelPort;
    }

    public String getTunnelHost()
    {
        return tunnelHost;
    }

    @Config(value = "tunnel.host", description = "loopback address the tunnel listener binds")
    public void setTunnelHost(String tunnelHost)
    {
        this.tunnelHost = tunnelHost;
    }

    public boolean isTlsSelfSigned()
    {
        return tlsSelfSigned;
    }

    @Config(value = "tls.self-signed", description = "when no keystore exists, generate a self-signed certificate for localhost so the first run works")
    public void setTlsSelfSigned(boolean tlsSelfSigned)
    {
        this.tlsSelfSigned = tlsSelfSigned;
    }

    public boolean isTlsFastCurves()
    {
        return tlsFastCurves;
    }

    @Config(value = "tls.fast-curves", description = "compute the X25519 key exchange and ECDSA P-256 signatures of TLS handshakes with BouncyCastle's curve arithmetic, " +
        "2.5-6x faster than JDK 17's own; false leaves them to the JDK. Applies to the whole JVM (HTTPS listeners and the upstream client)")
    public void setTlsFastCurves(boolean tlsFastCurves)
    {
        this.tlsFastCurves = tlsFastCurves;
    }

    public TlsProviders.Setting getTlsProvider()
    {
        return tlsProvider;
    }

    @Config(value = "tls.provider", description = "auto, jdk or conscrypt: the TLS implementation of the HTTPS listeners. auto: Conscrypt (BoringSSL; " +
        "new connections ~1.5x as fast as with JDK 17's TLS) when its native library loads on this machine, else the JDK's, saying why at start; " +
        "conscrypt: Conscrypt or no start. upstream.tls-provider chooses the upstream client's")
    public void setTlsProvider(TlsProviders.Setting tlsProvider)
    {
        this.tlsProvider = tlsProvider;
    }

    public TlsProviders.Setting getUpstreamTlsProvider()
    {
        return upstreamTlsProvider;
    }

    @Config(value = "upstream.tls-provider", description = "auto, jdk or conscrypt: the TLS implementation towards https upstreams. auto: Conscrypt " +
        "(BoringSSL; downloads and HTTP/1.1 requests take 10-17% less CPU than with JDK 17's TLS) when its native library loads on this machine, else the JDK's, saying why at start; " +
        "conscrypt: Conscrypt or no start. Either way the JDK's trust managers verify the upstream's certificate and name")
    public void setUpstreamTlsProvider(TlsProviders.Setting upstreamTlsProvider)
    {
        this.upstreamTlsProvider = upstreamTlsProvider;
    }

    public List<Path> getTlsCertificates()
    {
        return tlsCertificates;
    }

    @Config(value = "tls.certificates", description = "the HTTPS certificates, comma-separated: PKCS12 files (.p12/.pfx), PEM files holding key and chain, " +
        "or directories as certbot (fullchain.pem + privkey.pem), acme.sh (fullchain.cer + DOMAIN.key) or Caddy (NAME.crt + NAME.key) write them; " +
        "chosen by SNI, the first for clients without SNI; replaces jetty.sslContext.keyStorePath")
    public void setTlsCertificates(List<Path> tlsCertificates)
    {
        if (tlsCertificates.size() != tlsCertificates.stream().distinct().count())
            throw new IllegalArgumentException("an entry is listed twice");
        this.tlsCertificates = tlsCertificates;
    }

    public String getTlsCertificatesPassword()
    {
        return tlsCertificatesPassword;
    }

    @Config(value = "tls.certificates-password", description = "password of the PKCS12 files and encrypted PEM keys in gatehouse.tls.certificates", secret = true)
    public void setTlsCertificatesPassword(String tlsCertificatesPassword)
    {
        this.tlsCertificatesPassword = tlsCertificatesPassword;
    }

    public Duration getTlsScanInterval()
    {
        return tlsScanInterval;
    }

    @Config(value = "tls.scan-interval", description = "how often the files of gatehouse.tls.certificates are checked for changes, which are applied without a restart; 0s is never")
    public void setTlsScanInterval(Duration tlsScanInterval)
    {
        if (!tlsScanInterval.isZero() && tlsScanInterval.toMillis() < 100)
            throw new IllegalArgumentException("must be 0s (off) or at least 100ms");
        this.tlsScanInterval = tlsScanInterval;
    }

    public DataSize getWebSocketMaxMessageSize()
    {
        return webSocketMaxMessageSize;
    }

    @Config(value = "websocket.max-message-size", description = "largest WebSocket message relayed in either direction; a larger one closes both sides (1009)")
    public void setWebSocketMaxMessageSize(DataSize webSocketMaxMessageSize)
    {
        if (webSocketMaxMessageSize.toBytes() < 1024)
            throw new IllegalArgumentException("must be at least 1KiB");
        this.webSocketMaxMessageSize = webSocketMaxMessageSize;
    }

    public DataSize getWebSocketMaxFrameSize()
    {
        return webSocketMaxFrameSize;
    }

    @Config(value = "websocket.max-frame-size", description = "largest WebSocket frame the proxy holds at once per direction; larger frames are relayed in pieces of this size")
    public void setWebSocketMaxFrameSize(DataSize webSocketMaxFrameSize)
    {
        if (webSocketMaxFrameSize.toBytes() < 1024 || webSocketMaxFrameSize.toBytes() > 16L * 1024 * 1024)
            throw new IllegalArgumentException("must be between 1KiB and 16MiB");
        this.webSocketMaxFrameSize = webSocketMaxFrameSize;
    }

    public Duration getWebSocketIdleTimeout()
    {
        return webSocketIdleTimeout;
    }

    @Config(value = "websocket.idle-timeout", description = "how long a WebSocket may carry no frames before it is closed (1001) on both sides; notification sockets stay quiet for long")
    public void setWebSocketIdleTimeout(Duration webSocketIdleTimeout)
    {
        requirePositive(webSocketIdleTimeout);
        this.webSocketIdleTimeout = webSocketIdleTimeout;
    }

    private static void requirePositive(Duration duration)
    {
        if (duration.isZero() || duration.isNegative())
            throw new IllegalArgumentException("must be longer than zero");
    }

    private static void requirePort(int port)
    {
        if (port < 0 || port > 65535)
            throw new IllegalArgumentException("a port is 0 (off) or 1-65535");
    }
}
