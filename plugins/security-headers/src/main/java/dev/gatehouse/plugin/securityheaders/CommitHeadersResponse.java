package dev.gatehouse.plugin.securityheaders;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the policy's headers just before the response commits, that is on the first write or,
 * for a response without body, when the handler completes. The proxy has copied the upstream's
 * headers by then, so ours replace them: a header set before the proxy runs would be overwritten
 * by the proxy's {@code put} of the upstream's value (research jetty.md section 2).
 *
 * <p>An HTML document is held back, up to the hash limit, so that the hashes of its inline code
 * can go into the CSP header before anything is sent; the body itself is passed on unchanged, so
 * {@code Content-Length} stays right. Everything else streams through untouched. A document
 * announced larger than the limit is not held back at all; one that grows past it while held back
 * is released at once with the fallback policy.</p>
 *
 * <p>Writes are serial (Jetty's contract), so the state needs no lock.</p>
 */
final class CommitHeadersResponse extends Response.Wrapper
{
    private static final Logger LOG = LoggerFactory.getLogger(CommitHeadersResponse.class);

    private enum State
    {
        UNDECIDED, HOLDING, PASSING
    }

    private final HeaderPolicy policy;
    private final DocumentHasher hasher;
    private final String path;
    private State state = State.UNDECIDED;
    private byte[] held;
    private int heldLength;
    private String cacheKey;

    CommitHeadersResponse(Request request, Response wrapped, HeaderPolicy policy, DocumentHasher hasher)
    {
        super(request, wrapped);
        this.policy = policy;
        this.hasher = hasher;
        String pathInContext = request.getHttpURI().getPath();
        this.path = pathInContext == null ? "/" : pathInContext;
    }

    @Override
    public void write(boolean last, ByteBuffer content, Callback callback)
    {
        if (state == State.UNDECIDED)
            decide();
        if (state == State.PASSING)
        {
            super.write(last, content, callback);
            return;
        }
        hold(content);
        if (heldLength > hasher.limit())
        {
            LOG.debug("{} grew past the hash limit while held back; released with the fallback policy", path);
            release(last, null, callback);
            return;
        }
        if (last)
        {
            release(true, hashHeld(), callback);
            return;
        }
        // Held: the bytes are copied, so the writer may reuse its buffer and go on.
        callback.succeeded();
    }

    @Override
    public void reset()
    {
        // An error page replaces a response that was not committed, e.g. a document held back
        // when the upstream failed: what was held is dropped with it.
        state = State.UNDECIDED;
        held = null;
        heldLength = 0;
        super.reset();
    }

    /**
     * Called when the handler completes: a response without any write still gets its headers,
     * and a document held back without a last write is sent.
     *
     * @param then completed when done
     */
    void complete(Callback then)
    {
        if (state == State.UNDECIDED)
            decide();
        if (state == State.HOLDING)
        {
            release(true, hashHeld(), then);
            return;
        }
        then.succeeded();
    }

    private void decide()
    {
        HttpFields.Mutable headers = getHeaders();
        policy.applyCommon(headers, getRequest().isSecure());
        int status = getStatus();
        if (status == HttpStatus.NOT_MODIFIED_304)
        {
            notModified(headers);
            state = State.PASSING;
            return;
        }
        if (!policy.hasCsp() || !isHtml(headers))
        {
            state = State.PASSING;
            return;
        }
        if (!policy.isHashing() || HttpStatus.isInformational(status) || status == HttpStatus.NO_CONTENT_204)
        {
            policy.applyDocument(headers, policy.isHashing() ? InlineHashes.NONE : null, reportOrigin());
            state = State.PASSING;
            return;
        }
        String key = DocumentHasher.cacheKey(policy.name(), path, headers);
        if (HttpMethod.HEAD.is(getRequest().getMethod()))
        {
            // No body to hash, and nothing rendered: the known hashes if any, and nothing remembered.
            InlineHashes known = status == HttpStatus.OK_200 ? hasher.cached(key) : null;
            policy.applyDocument(headers, known == null ? InlineHashes.NONE : known, reportOrigin());
            state = State.PASSING;
            return;
        }
        cacheKey = status == HttpStatus.OK_200 ? key : null;
        InlineHashes known = hasher.cached(cacheKey);
        if (known != null)
        {
            policy.applyDocument(headers, known, reportOrigin());
            state = State.PASSING;
            return;
        }
        long announced = headers.getLongField(HttpHeader.CONTENT_LENGTH);
        if (announced > hasher.limit())
        {
            LOG.info("{} is {} bytes, more than the inline hash limit {}; sent with the fallback policy", path, announced, hasher.limit());
            policy.applyDocument(headers, null, reportOrigin());
            state = State.PASSING;
            return;
        }
        held = new byte[(int)Math.min(hasher.limit() + 1, announced > 0 ? announced : 16 * 1024)];
        state = State.HOLDING;
    }

    /**
     * A 304's headers update those the browser stored with the document. Without the document's
     * hashes, a CSP here would replace the stored one with a policy that blocks the page's own
     * code; so it is sent only when the hashes are known, and the upstream's is never passed on.
     */
    private void notModified(HttpFields.Mutable headers)
    {
        if (!policy.hasCsp())
            return;
        InlineHashes known = policy.isHashing() ? hasher.cached(DocumentHasher.cacheKey(policy.name(), path, headers)) : InlineHashes.NONE;
        if (known != null)
        {
            policy.applyDocument(headers, known, reportOrigin());
        }
        else
        {
            headers.remove(HeaderPolicy.CSP);
            headers.remove(HeaderPolicy.CSP_REPORT_ONLY);
        }
    }

    private void hold(ByteBuffer content)
    {
        int remaining = content.remaining();
        if (remaining == 0)
            return;
        long needed = (long)heldLength + remaining;
        if (needed > held.length)
        {
            // Past the limit the document is released: hold one byte beyond it at most.
            int capacity = (int)Math.min(Math.max(needed, (long)held.length * 2), hasher.limit() + remaining);
            held = Arrays.copyOf(held, capacity);
        }
        content.get(held, heldLength, remaining);
        heldLength += remaining;
    }

    private InlineHashes hashHeld()
    {
        try
        {
            InlineHashes hashes = hasher.hash(held, heldLength, getHeaders());
            hasher.remember(cacheKey, hashes);
            return hashes;
        }
        catch (DocumentHasher.Unhashable e)
        {
            LOG.info("{}: no inline hashes ({}); sent with the fallback policy", path, e.getMessage());
            return null;
        }
    }

    private void release(boolean last, InlineHashes hashes, Callback callback)
    {
        policy.applyDocument(getHeaders(), hashes, reportOrigin());
        ByteBuffer body = ByteBuffer.wrap(held, 0, heldLength);
        held = null;
        heldLength = 0;
        state = State.PASSING;
        super.write(last, body, callback);
    }

    private boolean isHtml(HttpFields headers)
    {
        String type = headers.get(HttpHeader.CONTENT_TYPE);
        if (type == null)
            return false;
        String mime = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return mime.equals("text/html") || mime.equals("application/xhtml+xml");
    }

    /**
     * @return {@code https://host[:port]}, or null on plain HTTP, where the Reporting API is not used
     */
    private String reportOrigin()
    {
        if (policy.reportPath() == null || !getRequest().isSecure())
            return null;
        String host = Request.getServerName(getRequest());
        int port = Request.getServerPort(getRequest());
        if (host == null || host.isEmpty())
            return null;
        if (host.indexOf(':') >= 0 && !host.startsWith("["))
            host = "[" + host + "]";
        return "https://" + host + (port <= 0 || port == 443 ? "" : ":" + port);
    }
}
