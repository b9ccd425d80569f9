package dev.gatehouse.plugin.securityheaders;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MimeTypes;

/**
 * Hashes the inline code of a held-back HTML body, and remembers the result by route, path, ETag
 * and encoding, so that a document the upstream marks unchanged is not held back again.
 *
 * <p>Compressed bodies are decoded for hashing only (the client gets the upstream's bytes):
 * {@code gzip} and {@code deflate} with the JDK; for anything else ({@code br}, {@code zstd}) the
 * hashes are unknown and the fallback policy applies. Navigations are asked upstream without
 * {@code br}/{@code zstd} ({@link NavigationEncodingCustomizer}) so that this is rare.</p>
 */
public final class DocumentHasher
{
    /**
     * Why a document got the fallback policy.
     */
    public static final class Unhashable extends Exception
    {
        public Unhashable(String reason)
        {
            super(reason, null, false, false);
        }
    }

    private final long limit;
    private final Map<String, InlineHashes> cache;
    private final int cacheEntries;

    public DocumentHasher(long limit, int cacheEntries)
    {
        this.limit = limit;
        this.cacheEntries = cacheEntries;
        this.cache = new LinkedHashMap<>(16, 0.75f, true)
        {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, InlineHashes> eldest)
            {
                return size() > DocumentHasher.this.cacheEntries;
            }
        };
    }

    public long limit()
    {
        return limit;
    }

    /**
     * The key leaves the content coding out: the hashes are of the decoded document, and a 304,
     * which must find the hashes of the 200 it validates, carries no Content-Encoding.
     *
     * @return the cache key of a response, or null when it cannot be cached (no ETag)
     */
    public static String cacheKey(String policy, String path, HttpFields responseHeaders)
    {
        String etag = responseHeaders.get(HttpHeader.ETAG);
        if (etag == null || etag.isEmpty())
            return null;
        return policy + '\n' + path + '\n' + etag;
    }

    public InlineHashes cached(String key)
    {
        if (key == null || cacheEntries == 0)
            return null;
        synchronized (cache)
        {
            return cache.get(key);
        }
    }

    public void remember(String key, InlineHashes hashes)
    {
        if (key == null || cacheEntries == 0)
            return;
        synchronized (cache)
        {
            cache.put(key, hashes);
        }
    }

    public int cacheSize()
    {
        synchronized (cache)
        {
            return cache.size();
        }
    }

    /**
     * @param body the body bytes as the upstream sent them
     * @throws Unhashable when the encoding or charset cannot be read, or the decoded document exceeds the limit
     */
    public InlineHashes hash(byte[] body, int length, HttpFields responseHeaders) throws Unhashable
    {
        byte[] decoded = decode(body, length, responseHeaders.get(HttpHeader.CONTENT_ENCODING));
        Charset charset = charset(responseHeaders.getField(HttpHeader.CONTENT_TYPE));
        String text;
        try
        {
            CharsetDecoder decoder = charset.newDecoder().onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
            text = decoder.decode(ByteBuffer.wrap(decoded)).toString();
        }
        catch (IOException e)
        {
            throw new Unhashable("undecodable " + charset + " text");
        }
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF')
            text = text.substring(1);
        return InlineHashes.of(text);
    }

    private byte[] decode(byte[] body, int length, String contentEncoding) throws Unhashable
    {
        if (contentEncoding == null || contentEncoding.isBlank() || contentEncoding.trim().equalsIgnoreCase("identity"))
        {
            byte[] copy = new byte[length];
            System.arraycopy(body, 0, copy, 0, length);
            return copy;
        }
        String[] codings = contentEncoding.toLowerCase(Locale.ROOT).split(",");
        if (codings.length != 1)
            throw new Unhashable("stacked content codings '" + contentEncoding + "'");
        String coding = codings[0].trim();
        try
        {
            return switch (coding)
            {
                case "gzip", "x-gzip" -> readBounded(new GZIPInputStream(new ByteArrayInputStream(body, 0, length), 8192));
                case "deflate" -> readBounded(new InflaterInputStream(new ByteArrayInputStream(body, 0, length)));
                default -> throw new Unhashable("content coding '" + coding + "' cannot be decoded for hashing");
            };
        }
        catch (IOException e)
        {
            throw new Unhashable("corrupt " + coding + " body: " + e.getMessage());
        }
    }

    /**
     * Inflates at most the limit: a small compressed body can expand without end.
     */
    private byte[] readBounded(InputStream in) throws IOException, Unhashable
    {
        try (in)
        {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int read;
            while ((read = in.read(buffer)) > 0)
            {
                if (out.size() + read > limit)
                    throw new Unhashable("decompressed document larger than " + limit + " bytes");
                out.write(buffer, 0, read);
            }
            return out.toByteArray();
        }
    }

    static Charset charset(HttpField contentType)
    {
        if (contentType == null)
            return StandardCharsets.UTF_8;
        String name = MimeTypes.getCharsetFromContentType(contentType.getValue());
        if (name == null)
            return StandardCharsets.UTF_8;
        try
        {
            return Charset.forName(name);
        }
        catch (IllegalArgumentException e)
        {
            // An unknown charset label: browsers fall back to their default, which for these apps is UTF-8.
            return StandardCharsets.UTF_8;
        }
    }
}
