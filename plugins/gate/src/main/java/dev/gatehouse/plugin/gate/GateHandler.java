package dev.gatehouse.plugin.gate;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import dev.gatehouse.spi.IpLiterals;
import org.eclipse.jetty.http.HttpCookie;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access gate, in the ACCESS slot: every request, WebSocket upgrades included, is judged here
 * before a user plugin, the WebSocket bridge or the proxy sees it. The ordered rules are tried
 * first to last on the request's canonical path (decoded and normalised once by Jetty; ambiguous
 * paths are refused), host, method, listener and TCP peer; the first that matches decides. What
 * no rule matched gets the default action. Admitted requests go on with every incoming identity
 * header removed and the gate's own set from verified claims only.
 */
public class GateHandler extends Handler.Wrapper
{
    static final String IDENTITY_ATTRIBUTE = GateHandler.class.getName() + ".identity";
    static final String ASSERTION_ATTRIBUTE = GateHandler.class.getName() + ".assertion";
    private static final Logger LOG = LoggerFactory.getLogger(GateHandler.class);
    private static final Identity NO_IDENTITY = new Identity(null, null, null, List.of(), 0);

    private final GateConfig config;
    private final TokenVerifier verifier;
    private final PlexTokens plexTokens;
    private final RememberedNetworks remembered;
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private volatile List<Rule> rules = List.of();
    private volatile byte[] denyPage;

    GateHandler(GateConfig config, TokenVerifier verifier, PlexTokens plexTokens, RememberedNetworks remembered)
    {
        this.config = config;
        this.verifier = verifier;
        this.plexTokens = plexTokens;
        this.remembered = remembered;
    }

    @Override
    protected void doStart() throws Exception
    {
        if (config.getRulesFile() != null)
        {
            List<String> problems = new ArrayList<>();
            List<Rule> read = RulesFile.read(config.getRulesFile(), problems);
            if (!problems.isEmpty())
                throw new IllegalStateException("gatehouse.gate.rules-file " + config.getRulesFile() + ": " + String.join("; ", problems));
            rules = List.copyOf(read);
        }
        LOG.info("gate: {} rules{}, then {} ({} issuer {}, audiences {})", rules.size(),
            config.getRulesFile() == null ? "" : " from " + config.getRulesFile(),
            config.getDefaultAction() == GateConfig.DefaultAction.ALLOW ? "a valid token for everything else" : "403 for everything else",
            config.isCloudflare() ? "Cloudflare Access" : "OIDC", config.expectedIssuer(), config.getAudiences());
        if (config.getDenyPage() != null)
            denyPage = Files.readAllBytes(config.getDenyPage());
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception
    {
        LOG.info("gate: decisions {}", counters());
        super.doStop();
    }

    /**
     * @return the decisions so far, by {@code admit:<how>} and {@code <status>:<reason>}
     */
    Map<String, Long> counters()
    {
        Map<String, Long> snapshot = new TreeMap<>();
        counters.forEach((key, adder) -> snapshot.put(key, adder.sum()));
        return snapshot;
    }

    private void count(String key)
    {
        counters.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception
    {
        Exchange exchange = new Exchange(request, response, callback);
        HttpURI uri = request.getHttpURI();
        String canonical = uri.getCanonicalPath();
        if (uri.isAmbiguous() || canonical == null || canonical.indexOf('\\') >= 0 || canonical.indexOf('\0') >= 0 || uri.getPath() == null || uri.getPath().contains("%2f") || uri.getPath().contains("%2F"))
        {
            deny(exchange, 400, "ambiguous-path", null);
            return true;
        }
        exchange.path = canonical.toLowerCase(Locale.ROOT);
        return decide(exchange, 0, true);
    }

    /**
     * Tries the rules from {@code from}; continues asynchronously after a Plex-token check.
     *
     * @param inline whether this runs inside {@link #handle}, whose return value it decides
     */
    private boolean decide(Exchange exchange, int from, boolean inline) throws Exception
    {
        for (int i = from; i < rules.size(); i++)
        {
            Rule rule = rules.get(i);
            if (!rule.matches(exchange.host(), exchange.path, exchange.request.getMethod(), exchange.request.getConnectionMetaData().getConnector(), exchange.peer()))
                continue;
            switch (rule.action())
            {
                case BYPASS:
                    if (LOG.isDebugEnabled())
                        LOG.debug("gate: bypass by rule {} for {} {} from {}", rule.describe(), exchange.request.getMethod(), exchange.path, exchange.clientText());
                    return admit(exchange, "bypass", null, inline);
                case DENY:
                    deny(exchange, 403, "rule-deny", rule);
                    return true;
                case ALLOW:
                    return allow(exchange, rule, inline);
                case REMEMBERED:
                    if (remembered != null && remembered.contains(exchange.client()))
                        return admit(exchange, "remembered", null, inline);
                    continue;
                case PLEX_TOKEN:
                    String token = plexToken(exchange.request);
                    if (token == null)
                        continue;
                    Boolean known = plexTokens.cached(token);
                    if (Boolean.TRUE.equals(known))
                        return admit(exchange, "plex-token", null, inline);
                    if (Boolean.FALSE.equals(known))
                        continue;
                    int next = i + 1;
                    plexTokens.check(token).whenComplete((accepted, failure) ->
                        continueOnPool(exchange, () -> resume(exchange, Boolean.TRUE.equals(accepted), next)));
                    return true;
                default:
                    throw new IllegalStateException(rule.action().name());
            }
        }
        if (config.getDefaultAction() == GateConfig.DefaultAction.DENY)
        {
            deny(exchange, 403, "default-deny", null);
            return true;
        }
        return allow(exchange, null, inline);
    }

    private void resume(Exchange exchange, boolean accepted, int next) throws Exception
    {
        if (accepted)
            admit(exchange, "plex-token", null, false);
        else
            decide(exchange, next, false);
    }

    /**
     * Goes on with a request on a pool thread, where waiting is allowed; a failure fails the request.
     */
    private void continueOnPool(Exchange exchange, Continuation continuation)
    {
        getServer().getThreadPool().execute(() ->
        {
            try
            {
                continuation.run();
            }
            catch (Throwable x)
            {
                exchange.callback.failed(x);
            }
        });
    }

    @FunctionalInterface
    private interface Continuation
    {
        void run() throws Exception;
    }

    private boolean allow(Exchange exchange, Rule rule, boolean inline) throws Exception
    {
        Verdict verdict = exchange.verdictWithoutWaiting();
        if (verdict == null)
        {
            // The signing keys may have to be fetched first: this handler is non-blocking (Jetty
            // may call it on an I/O thread), so the check goes where a thread may wait, once per
            // token; the verified-token cache answers the token's next requests here.
            continueOnPool(exchange, () ->
            {
                exchange.verdict();
                allow(exchange, rule, false);
            });
            return true;
        }
        switch (verdict.outcome())
        {
            case VALID:
                break;
            case WRONG_AUDIENCE:
                deny(exchange, 403, verdict.reason(), rule);
                return true;
            case UNAVAILABLE:
                deny(exchange, 503, verdict.reason(), rule);
                return true;
            default:
                deny(exchange, 401, verdict.reason(), rule);
                return true;
        }
        Identity identity = verdict.identity();
        if (rule != null && !rule.admits(identity))
        {
            deny(exchange, 403, "identity-not-allowed", rule);
            return true;
        }
        if (remembered != null && identity.email() != null)
            remembered.remember(exchange.client());
        return admit(exchange, "token", identity, inline);
    }

    private boolean admit(Exchange exchange, String how, Identity identity, boolean inline) throws Exception
    {
        count("admit:" + how);
        Request request = exchange.request;
        request.setAttribute(IDENTITY_ATTRIBUTE, identity == null ? NO_IDENTITY : identity);
        String assertion = identity != null && "header".equals(exchange.tokenSource) ? exchange.token : null;
        if (assertion != null)
            request.setAttribute(ASSERTION_ATTRIBUTE, assertion);
        HttpFields.Mutable headers = HttpFields.build(request.getHeaders());
        IdentityHeaders.rewrite(headers, identity, config.isIdentityHeaders(), config.isForwardToken(), assertion);
        if (!config.isForwardToken() && "bearer".equals(exchange.tokenSource))
            headers.remove(HttpHeader.AUTHORIZATION);
        HttpFields rewritten = headers.asImmutable();
        Request admitted = new Request.Wrapper(request)
        {
            @Override
            public HttpFields getHeaders()
            {
                return rewritten;
            }
        };
        boolean handled = super.handle(admitted, exchange.response, exchange.callback);
        if (!handled && !inline)
        {
            Response.writeError(request, exchange.response, exchange.callback, 404);
            return true;
        }
        return handled;
    }

    private void deny(Exchange exchange, int status, String reason, Rule rule)
    {
        count(status + ":" + reason);
        Request request = exchange.request;
        LOG.info("gate: deny {} reason={} rule={} {} {} client={} listener={}", status, reason, rule == null ? "default" : "line-" + rule.line(),
            request.getMethod(), exchange.path == null ? "(ambiguous path)" : exchange.path, exchange.clientText(), listenerName(request));
        Response response = exchange.response;
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        if (status == 503)
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "30");
        // RFC 9110 15.5.2: a 401 carries a challenge. Bearer, so browsers show no password prompt.
        if (status == 401)
            response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"gatehouse\"");
        byte[] page = denyPage;
        String accept = request.getHeaders().get(HttpHeader.ACCEPT);
        if (page != null && (status == 401 || status == 403) && accept != null && accept.contains("text/html"))
        {
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, MimeTypes.Type.TEXT_HTML_UTF_8.asString());
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, page.length);
            boolean head = HttpMethod.HEAD.is(request.getMethod());
            response.write(true, head ? null : ByteBuffer.wrap(page), exchange.callback);
            return;
        }
        Response.writeError(request, response, exchange.callback, status);
    }

    private static String listenerName(Request request)
    {
        var connector = request.getConnectionMetaData().getConnector();
        return connector == null || connector.getName() == null ? "https" : connector.getName();
    }

    /**
     * The {@code X-Plex-Token} header, else the query parameter of that name (as Plex clients send
     * it); null when absent, repeated with different values, or implausible.
     */
    private static String plexToken(Request request)
    {
        List<String> headers = request.getHeaders().getValuesList("X-Plex-Token");
        String token = null;
        if (headers.size() > 1)
            return null;
        if (headers.size() == 1)
            token = headers.get(0);
        else if (request.getHttpURI().getQuery() != null)
        {
            try
            {
                Fields query = Request.extractQueryParameters(request, StandardCharsets.UTF_8);
                Fields.Field field = query.get("X-Plex-Token");
                if (field != null && field.getValues().size() == 1)
                    token = field.getValue();
            }
            catch (RuntimeException e)
            {
                return null;
            }
        }
        return PlexTokens.plausible(token) ? token : null;
    }

    /**
     * One request's judgement: the inputs computed once, the token found and verified at most once.
     */
    private final class Exchange
    {
        final Request request;
        final Response response;
        final Callback callback;
        String path;
        String token;
        String tokenSource;
        private Verdict verdict;

        Exchange(Request request, Response response, Callback callback)
        {
            this.request = request;
            this.response = response;
            this.callback = callback;
        }

        String host()
        {
            String host = Request.getServerName(request);
            return host == null ? null : host.toLowerCase(Locale.ROOT);
        }

        /**
         * @return the TCP peer, never an address taken from forwarded headers
         */
        InetAddress peer()
        {
            return address(Request.unWrap(request).getConnectionMetaData().getRemoteSocketAddress());
        }

        /**
         * @return the client, as the client-identity plugin resolved it from trusted proxies
         */
        InetAddress client()
        {
            return address(request.getConnectionMetaData().getRemoteSocketAddress());
        }

        String clientText()
        {
            InetAddress client = client();
            return client == null ? "?" : client.getHostAddress();
        }

        private static InetAddress address(SocketAddress socket)
        {
            if (socket instanceof InetSocketAddress inet && !inet.isUnresolved() && inet.getAddress() != null)
                return IpLiterals.normalize(inet.getAddress());
            return null;
        }

        Verdict verdict()
        {
            if (verdict == null)
                verdict = findAndVerify(true);
            return verdict;
        }

        /**
         * @return the verdict, or {@code null} when it needs keys that may have to be fetched
         */
        Verdict verdictWithoutWaiting()
        {
            if (verdict == null)
                verdict = findAndVerify(false);
            return verdict;
        }

        private Verdict findAndVerify(boolean mayWait)
        {
            // Header first; a header that is present decides, even when it is bad: no fallback.
            List<String> assertions = request.getHeaders().getValuesList(IdentityHeaders.ASSERTION);
            if (assertions.size() > 1)
                return Verdict.invalid("token-repeated");
            if (assertions.size() == 1)
                return verify(assertions.get(0), "header", mayWait);
            if (config.isTokenCookie())
            {
                List<String> values = new ArrayList<>();
                for (HttpCookie cookie : Request.getCookies(request))
                {
                    if (IdentityHeaders.COOKIE.equals(cookie.getName()))
                        values.add(cookie.getValue());
                }
                if (values.size() > 1)
                    return Verdict.invalid("token-repeated");
                if (values.size() == 1)
                    return verify(values.get(0), "cookie", mayWait);
            }
            if (config.isTokenBearer())
            {
                List<String> authorizations = request.getHeaders().getValuesList(HttpHeader.AUTHORIZATION);
                if (authorizations.size() == 1 && authorizations.get(0).regionMatches(true, 0, "Bearer ", 0, 7))
                    return verify(authorizations.get(0).substring(7), "bearer", mayWait);
            }
            return Verdict.invalid("token-missing");
        }

        private Verdict verify(String value, String source, boolean mayWait)
        {
            token = value;
            tokenSource = source;
            return mayWait ? verifier.verify(value) : verifier.verifyWithoutWaiting(value);
        }
    }
}
