package dev.gatehouse.core.websocket;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.gatehouse.core.CoreConfig;
import dev.gatehouse.core.proxy.ForwardedHeaders;
import dev.gatehouse.core.proxy.GatehouseProxy;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.UpgradeProtocolHandler;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.QuotedCSV;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.TunnelSupport;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.Configuration;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.WebSocketConstants;
import org.eclipse.jetty.websocket.core.client.CoreClientUpgradeRequest;
import org.eclipse.jetty.websocket.core.client.UpgradeListener;
import org.eclipse.jetty.websocket.core.client.WebSocketCoreClient;
import org.eclipse.jetty.websocket.core.exception.UpgradeException;
import org.eclipse.jetty.websocket.core.server.Handshaker;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.core.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.core.server.WebSocketNegotiator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * WebSockets through a route. {@link org.eclipse.jetty.proxy.ProxyHandler} cannot upgrade (it would
 * strip {@code Upgrade} and answer the client 200), so this handler sits in front of the route's
 * {@link GatehouseProxy} and takes the upgrade requests; every other request goes to the proxy.
 *
 * <p>An upgrade is bridged, not tunnelled: the upstream is connected <em>first</em>, over the route's
 * own {@link HttpClient} (so its TLS trust, SNI, source address and plugins' customizers apply), with
 * the client's subprotocols and end-to-end headers and the same {@code Host} and forwarded-header
 * policy as proxied HTTP. Only then is the client accepted, with the subprotocol the upstream chose;
 * an upstream that refuses gives the client its status (4xx/5xx), an unreachable one 502, a silent
 * one 504. Jetty's handshakers accept both RFC 6455 (HTTP/1.1 {@code Upgrade}) and RFC 8441
 * (HTTP/2 extended {@code CONNECT}) clients. {@link WebSocketRelay} then relays frames.</p>
 *
 * <p>It is inside the route, so every plugin handler in the chain has already seen the request.</p>
 */
public class WebSocketBridge extends Handler.Wrapper
{
    private static final Logger LOG = LoggerFactory.getLogger(WebSocketBridge.class);
    /**
     * Request headers not passed upstream: hop-by-hop ones, those the WebSocket client writes itself
     * (key, version, extensions: each hop negotiates its own), and {@code Host} (the upstream's own).
     */
    private static final EnumSet<HttpHeader> NOT_FORWARDED = EnumSet.of(
        HttpHeader.CONNECTION,
        HttpHeader.KEEP_ALIVE,
        HttpHeader.PROXY_AUTHORIZATION,
        HttpHeader.PROXY_AUTHENTICATE,
        HttpHeader.PROXY_CONNECTION,
        HttpHeader.TRANSFER_ENCODING,
        HttpHeader.TE,
        HttpHeader.TRAILER,
        HttpHeader.UPGRADE,
        HttpHeader.HOST,
        HttpHeader.CONTENT_LENGTH,
        HttpHeader.EXPECT,
        HttpHeader.HTTP2_SETTINGS,
        HttpHeader.SEC_WEBSOCKET_KEY,
        HttpHeader.SEC_WEBSOCKET_VERSION,
        HttpHeader.SEC_WEBSOCKET_EXTENSIONS,
        HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL,
        HttpHeader.SEC_WEBSOCKET_ACCEPT
    );

    private final GatehouseProxy proxy;
    private final CoreConfig config;
    private final Handshaker handshaker = Handshaker.newInstance();
    /**
     * How much longer the upstream end of a quiet WebSocket waits than the client's end. Both ends
     * carry the same frames, so with equal timeouts both expire together, and the upstream's (opened
     * first) usually won: the relay's 1001 to the client then raced the client connection's own
     * expiry, which fails a write in flight, and the client saw the connection drop (1006) without
     * the CLOSE. With the client's end first, its own timer sends its 1001 and the relay then closes
     * the upstream, whose timer is still running.
     */
    static final Duration UPSTREAM_IDLE_MARGIN = Duration.ofSeconds(5);

    private final Configuration.ConfigurationCustomizer sessionConfiguration = new Configuration.ConfigurationCustomizer();
    private final Configuration.ConfigurationCustomizer upstreamSessionConfiguration = new Configuration.ConfigurationCustomizer();
    private WebSocketComponents components;
    private WebSocketCoreClient upstreamClient;

    public WebSocketBridge(GatehouseProxy proxy, CoreConfig config)
    {
        super(proxy);
        this.proxy = proxy;
        this.config = config;
        // Core's defaults (64 KiB messages, 30 s idle) would cut Plex's notification socket.
        sessionConfiguration.setIdleTimeout(config.getWebSocketIdleTimeout());
        sessionConfiguration.setMaxFrameSize(config.getWebSocketMaxFrameSize().toBytes());
        sessionConfiguration.setMaxTextMessageSize(config.getWebSocketMaxMessageSize().toBytes());
        sessionConfiguration.setMaxBinaryMessageSize(config.getWebSocketMaxMessageSize().toBytes());
        sessionConfiguration.setAutoFragment(true);
        sessionConfiguration.customize(upstreamSessionConfiguration);
        upstreamSessionConfiguration.setIdleTimeout(config.getWebSocketIdleTimeout().plus(UPSTREAM_IDLE_MARGIN));
    }

    @Override
    protected void doStart() throws Exception
    {
        // Starts the proxy first: its HttpClient exists only once it started.
        super.doStart();
        HttpClient httpClient = proxy.getHttpClient();
        // ProxyHandler clears the client's protocol handlers; the 101 of a WebSocket upgrade needs
        // this one. Proxied HTTP requests never carry Upgrade (a hop-by-hop header), so they are
        // not affected.
        httpClient.getProtocolHandlers().put(new UpgradeProtocolHandler());
        components = new WebSocketComponents(null, null, getServer().getByteBufferPool(), null, null, getServer().getThreadPool());
        upstreamClient = new WebSocketCoreClient(httpClient, components);
        addBean(upstreamClient, true);
        upstreamClient.start();
    }

    @Override
    protected void doStop() throws Exception
    {
        super.doStop();
        removeBean(upstreamClient);
        upstreamClient = null;
        components = null;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception
    {
        if (!isWebSocketUpgrade(request))
            return super.handle(request, response, callback);
        new Bridging(request, response, callback).connectUpstream();
        return true;
    }

    /**
     * A complete, valid upgrade request of either kind; anything else goes to the HTTP proxy, as
     * before this handler existed. Checked in full here because the upstream is connected before
     * Jetty's handshaker looks at the request.
     */
    public static boolean isWebSocketUpgrade(Request request)
    {
        HttpFields headers = request.getHeaders();
        if (!WebSocketConstants.SPEC_VERSION_STRING.equals(headers.get(HttpHeader.SEC_WEBSOCKET_VERSION)))
            return false;
        String protocol = request.getConnectionMetaData().getProtocol();
        if (HttpMethod.GET.is(request.getMethod()) && HttpVersion.HTTP_1_1.is(protocol))
        {
            boolean upgrade = headers.getValuesList(HttpHeader.UPGRADE).stream().anyMatch("websocket"::equalsIgnoreCase);
            QuotedCSV connection = new QuotedCSV(headers.getValuesList(HttpHeader.CONNECTION).toArray(String[]::new));
            boolean connectionUpgrade = connection.getValues().stream().anyMatch("upgrade"::equalsIgnoreCase);
            return upgrade && connectionUpgrade && headers.get(HttpHeader.SEC_WEBSOCKET_KEY) != null;
        }
        if (HttpMethod.CONNECT.is(request.getMethod()) && HttpVersion.HTTP_2.is(protocol))
        {
            TunnelSupport tunnel = request.getTunnelSupport();
            return tunnel != null && "websocket".equals(tunnel.getProtocol());
        }
        return false;
    }

    static URI upstreamWebSocketUri(HttpURI upstream)
    {
        String scheme = "https".equals(upstream.getScheme()) ? "wss" : "ws";
        return HttpURI.build(upstream).scheme(scheme).toURI();
    }

    /**
     * One upgrade: the upstream connection, then the client's.
     */
    private final class Bridging implements UpgradeListener
    {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final WebSocketRelay relay;
        private final String description;

        private Bridging(Request request, Response response, Callback callback)
        {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.description = "WebSocket " + Request.getPathInContext(request) + " via route " + proxy.route().routeName();
            this.relay = new WebSocketRelay(config.getWebSocketMaxMessageSize().toBytes(), description);
        }

        void connectUpstream()
        {
            URI uri = upstreamWebSocketUri(GatehouseProxy.rewrite(proxy.route(), request));
            CoreClientUpgradeRequest upgrade = CoreClientUpgradeRequest.from(upstreamClient, uri, relay.upstream);
            // RFC 8441 needs the upstream to offer extended CONNECT, which apps such as Plex do not;
            // HTTP/1.1 unless the route speaks HTTP/2 only.
            if (config.getUpstreamProtocol() != CoreConfig.UpstreamProtocol.HTTP2)
                upgrade.setVersion(HttpVersion.HTTP_1_1);
            upgrade.setConfiguration(upstreamSessionConfiguration);
            upgrade.timeout(config.getUpstreamConnectTimeout().toMillis() + config.getUpstreamResponseTimeout().toMillis(), TimeUnit.MILLISECONDS);
            List<String> subprotocols = request.getHeaders().getCSV(HttpHeader.SEC_WEBSOCKET_SUBPROTOCOL, true);
            if (!subprotocols.isEmpty())
                upgrade.setSubProtocols(subprotocols);
            upgrade.headers(this::copyHeaders);
            upgrade.addListener(this);
            try
            {
                upstreamClient.connect(upgrade).whenComplete((session, failure) ->
                {
                    if (failure != null)
                        refuse(failure);
                    else
                        acceptClient(session);
                });
            }
            catch (IOException | RuntimeException e)
            {
                refuse(e);
            }
        }

        private void copyHeaders(HttpFields.Mutable outgoing)
        {
            Set<String> connectionTokens = new HashSet<>();
            for (String value : request.getHeaders().getCSV(HttpHeader.CONNECTION, false))
                connectionTokens.add(value.toLowerCase(Locale.ROOT));
            List<String> cookies = new ArrayList<>();
            for (HttpField field : request.getHeaders())
            {
                if (field.getHeader() != null && NOT_FORWARDED.contains(field.getHeader()))
                    continue;
                if (connectionTokens.contains(field.getLowerCaseName()))
                    continue;
                if (field.getHeader() == HttpHeader.COOKIE)
                {
                    // HTTP/2 clients may split cookies over several fields; HTTP/1.1 wants one.
                    cookies.add(field.getValue());
                    continue;
                }
                outgoing.add(field);
            }
            if (!cookies.isEmpty())
                outgoing.put(HttpHeader.COOKIE, String.join("; ", cookies));
            outgoing.put(HttpHeader.HOST, proxy.upstreamAuthority());
            ForwardedHeaders.rebuild(request, outgoing);
        }

        @Override
        public void onHandshakeRequest(org.eclipse.jetty.client.Request upstreamRequest)
        {
            // An HTTP/2 upstream (RFC 8441) would otherwise lose its first frame to Jetty's client.
            TunnelResponseContent.leaveToTheWebSocket(upstreamRequest);
            proxy.addVia(request, upstreamRequest);
            proxy.customizeUpstreamRequest(request, upstreamRequest);
        }

        private void acceptClient(CoreSession upstreamSession)
        {
            String subprotocol = upstreamSession.getNegotiatedSubProtocol();
            WebSocketNegotiator negotiator = new WebSocketNegotiator()
            {
                @Override
                public FrameHandler negotiate(ServerUpgradeRequest upgradeRequest, ServerUpgradeResponse upgradeResponse, Callback upgradeCallback)
                {
                    if (subprotocol != null && !subprotocol.isEmpty())
                        upgradeResponse.setAcceptedSubProtocol(subprotocol);
                    return relay.client;
                }

                @Override
                public void customize(Configuration configurable)
                {
                    sessionConfiguration.customize(configurable);
                }
            };
            Callback upgraded = new Callback()
            {
                @Override
                public void succeeded()
                {
                    callback.succeeded();
                }

                @Override
                public void failed(Throwable failure)
                {
                    relay.abandon();
                    callback.failed(failure);
                }

                @Override
                public InvocationType getInvocationType()
                {
                    return callback.getInvocationType();
                }
            };
            try
            {
                if (!handshaker.upgradeRequest(negotiator, request, response, upgraded, components, sessionConfiguration))
                {
                    relay.abandon();
                    Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400);
                }
            }
            catch (Throwable failure)
            {
                LOG.warn("{}: client upgrade failed: {}", description, failure.toString());
                relay.abandon();
                if (response.isCommitted())
                    callback.failed(failure);
                else
                    Response.writeError(request, response, callback, HttpStatus.BAD_GATEWAY_502);
            }
        }

        private void refuse(Throwable failure)
        {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            int status = HttpStatus.BAD_GATEWAY_502;
            if (cause instanceof UpgradeException upgrade && upgrade.getResponseStatusCode() >= 400 && upgrade.getResponseStatusCode() <= 599)
            {
                status = upgrade.getResponseStatusCode();
                LOG.debug("{}: upstream refused the upgrade with {}", description, status);
            }
            else
            {
                if (isTimeout(cause))
                    status = HttpStatus.GATEWAY_TIMEOUT_504;
                LOG.warn("{}: upstream upgrade failed: {}", description, describe(cause));
            }
            Response.writeError(request, response, callback, status);
        }

        private static boolean isTimeout(Throwable failure)
        {
            Throwable cause = failure;
            for (int depth = 0; cause != null && depth < 16; depth++, cause = cause.getCause())
            {
                if (cause instanceof TimeoutException)
                    return true;
            }
            return false;
        }

        private static String describe(Throwable failure)
        {
            StringBuilder text = new StringBuilder();
            Set<Throwable> seen = new HashSet<>();
            for (Throwable cause = failure; cause != null && seen.add(cause); cause = cause.getCause())
            {
                if (!text.isEmpty())
                    text.append(" <- ");
                text.append(cause.getClass().getSimpleName());
                if (cause.getMessage() != null)
                    text.append(": ").append(cause.getMessage());
            }
            return text.toString();
        }
    }
}
