package dev.gatehouse.plugin.securityheaders;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import dev.gatehouse.spi.IpLiterals;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The violation report endpoint: {@code POST} takes reports ({@code application/csp-report},
 * {@code application/reports+json}, or {@code application/json} as some browsers label the
 * former), answering 204; {@code GET} returns the JSON summary to a client on this machine only.
 *
 * <p>It is open to anyone (browsers send reports without credentials), so it is bounded: a client
 * address gets a token bucket (429 past it, checked before any body is read), a body larger than
 * the limit is refused (413, by Content-Length or while reading), and a body that is not a report
 * is refused (400). Errors are bare statuses.</p>
 */
final class ReportEndpoint
{
    static final String TUNNEL_CONNECTOR = "gatehouse-tunnel";
    private static final List<String> FORWARDING_HEADERS = List.of("X-Forwarded-For", "Forwarded", "X-Real-IP", "CF-Connecting-IP", "True-Client-IP");

    private final ViolationCollector collector;
    private final ClientRateLimiter limiter;
    private final int bodyLimit;
    private final boolean summaryFromLoopback;

    ReportEndpoint(ViolationCollector collector, ClientRateLimiter limiter, int bodyLimit, boolean summaryFromLoopback)
    {
        this.collector = collector;
        this.limiter = limiter;
        this.bodyLimit = bodyLimit;
        this.summaryFromLoopback = summaryFromLoopback;
    }

    ViolationCollector collector()
    {
        return collector;
    }

    void handle(Request request, Response response, Callback callback)
    {
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        String method = request.getMethod();
        if (HttpMethod.GET.is(method) || HttpMethod.HEAD.is(method))
        {
            if (!summaryFromLoopback || !isLocalClient(request))
            {
                Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                return;
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json;charset=utf-8");
            Content.Sink.write(response, true, HttpMethod.HEAD.is(method) ? "" : collector.summaryJson(), callback);
            return;
        }
        if (!HttpMethod.POST.is(method))
        {
            response.getHeaders().put(HttpHeader.ALLOW, "POST");
            Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
            return;
        }
        String mediaType = mediaType(request.getHeaders().get(HttpHeader.CONTENT_TYPE));
        if (mediaType == null)
        {
            collector.rejectedMalformed();
            Response.writeError(request, response, callback, HttpStatus.UNSUPPORTED_MEDIA_TYPE_415);
            return;
        }
        if (!limiter.tryAcquire(Request.getRemoteAddr(request)))
        {
            collector.rejectedRateLimited();
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "60");
            Response.writeError(request, response, callback, HttpStatus.TOO_MANY_REQUESTS_429);
            return;
        }
        long announced = request.getLength();
        if (announced > bodyLimit)
        {
            collector.rejectedTooLarge();
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            Response.writeError(request, response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413);
            return;
        }
        new BodyReader(request, response, callback, mediaType).run();
    }

    /**
     * @return the report media type, or null when it is not one
     */
    static String mediaType(String contentType)
    {
        if (contentType == null)
            return null;
        String mime = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return switch (mime)
        {
            case "application/csp-report", "application/json" -> "application/csp-report";
            case "application/reports+json" -> "application/reports+json";
            default -> null;
        };
    }

    /**
     * @return whether the request comes from this machine directly: a loopback peer that is not
     * the tunnel listener (every tunnelled internet client arrives from loopback) and carries no
     * sign of having been forwarded by another local proxy
     */
    static boolean isLocalClient(Request request)
    {
        InetAddress address = IpLiterals.parseOrNull(Request.getRemoteAddr(request));
        if (address == null || !address.isLoopbackAddress())
            return false;
        var connector = request.getConnectionMetaData().getConnector();
        if (connector != null && TUNNEL_CONNECTOR.equals(connector.getName()))
            return false;
        for (String header : FORWARDING_HEADERS)
        {
            if (request.getHeaders().contains(header))
                return false;
        }
        return true;
    }

    /**
     * Reads the body without blocking, refusing it as soon as it passes the limit.
     */
    private final class BodyReader implements Runnable
    {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private final String mediaType;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        BodyReader(Request request, Response response, Callback callback, String mediaType)
        {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.mediaType = mediaType;
        }

        @Override
        public void run()
        {
            while (true)
            {
                Content.Chunk chunk = request.read();
                if (chunk == null)
                {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk))
                {
                    callback.failed(chunk.getFailure());
                    return;
                }
                ByteBuffer buffer = chunk.getByteBuffer();
                if (body.size() + buffer.remaining() > bodyLimit)
                {
                    chunk.release();
                    collector.rejectedTooLarge();
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                    Response.writeError(request, response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413);
                    return;
                }
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                body.write(bytes, 0, bytes.length);
                boolean last = chunk.isLast();
                chunk.release();
                if (last)
                {
                    finish();
                    return;
                }
            }
        }

        private void finish()
        {
            try
            {
                collector.accept(mediaType, body.toString(StandardCharsets.UTF_8));
            }
            catch (IllegalArgumentException e)
            {
                collector.rejectedMalformed();
                Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400);
                return;
            }
            response.setStatus(HttpStatus.NO_CONTENT_204);
            callback.succeeded();
        }
    }
}
