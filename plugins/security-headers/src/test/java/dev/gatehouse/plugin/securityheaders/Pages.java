package dev.gatehouse.plugin.securityheaders;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The stand-in upstream's pages: a path serves fixed bytes with fixed headers, like an app's
 * {@code index.html}; {@code If-None-Match} matching the page's ETag gets 304. Bodies can be sent
 * in several writes without Content-Length, as a chunked upstream would.
 */
final class Pages extends Handler.Abstract.NonBlocking
{
    record Page(byte[] body, Map<String, String> headers, boolean chunked)
    {
    }

    private final Map<String, Page> pages = new ConcurrentHashMap<>();
    final AtomicInteger served = new AtomicInteger();

    Pages html(String path, String html, String... headers)
    {
        return page(path, "text/html;charset=utf-8", html.getBytes(StandardCharsets.UTF_8), false, headers);
    }

    Pages page(String path, String contentType, byte[] body, boolean chunked, String... headers)
    {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        map.put("Content-Type", contentType);
        for (int i = 0; i < headers.length; i += 2)
            map.put(headers[i], headers[i + 1]);
        pages.put(path, new Page(body, map, chunked));
        return this;
    }

    static byte[] gzip(String text)
    {
        try
        {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (GZIPOutputStream out = new GZIPOutputStream(bytes))
            {
                out.write(text.getBytes(StandardCharsets.UTF_8));
            }
            return bytes.toByteArray();
        }
        catch (IOException e)
        {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback)
    {
        Page page = pages.get(Request.getPathInContext(request));
        if (page == null)
            return false;
        served.incrementAndGet();
        page.headers().forEach((name, value) -> response.getHeaders().add(name, value));
        String etag = page.headers().get("ETag");
        if (etag != null && etag.equals(request.getHeaders().get(HttpHeader.IF_NONE_MATCH)))
        {
            response.getHeaders().remove(HttpHeader.CONTENT_TYPE);
            response.setStatus(HttpStatus.NOT_MODIFIED_304);
            callback.succeeded();
            return true;
        }
        if (!page.chunked())
        {
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, page.body().length);
            response.write(true, ByteBuffer.wrap(page.body()), callback);
            return true;
        }
        // Three writes, so the proxy sees several chunks.
        byte[] body = page.body();
        int third = body.length / 3;
        response.write(false, ByteBuffer.wrap(body, 0, third), Callback.from(() ->
            response.write(false, ByteBuffer.wrap(body, third, third), Callback.from(() ->
                response.write(true, ByteBuffer.wrap(body, 2 * third, body.length - 2 * third), callback), callback::failed)), callback::failed));
        return true;
    }
}
