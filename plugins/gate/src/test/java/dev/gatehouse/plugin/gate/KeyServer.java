package dev.gatehouse.plugin.gate;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A loopback stand-in for the issuer: {@code /cdn-cgi/access/certs} serves the current key set
 * (Cloudflare's shape), {@code /.well-known/openid-configuration} a discovery document naming it;
 * {@link #down} makes both answer 503. Counts key fetches.
 */
final class KeyServer implements AutoCloseable
{
    final StandInUpstream server;
    final AtomicInteger keyFetches = new AtomicInteger();
    final AtomicInteger attempts = new AtomicInteger();
    volatile String document;
    volatile boolean down;
    volatile String discoveryIssuer;

    KeyServer(String document)
    {
        this.document = document;
        server = StandInUpstream.plain().handler(new Handler.Abstract.NonBlocking()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                String path = request.getHttpURI().getPath();
                attempts.incrementAndGet();
                if (down)
                {
                    response.setStatus(503);
                    callback.succeeded();
                    return true;
                }
                String body;
                if (path.equals("/cdn-cgi/access/certs"))
                {
                    keyFetches.incrementAndGet();
                    body = KeyServer.this.document;
                }
                else if (path.equals("/.well-known/openid-configuration"))
                    body = "{\"issuer\":\"" + discoveryIssuer + "\",\"jwks_uri\":\"" + certsUri() + "\"}";
                else
                {
                    response.setStatus(404);
                    callback.succeeded();
                    return true;
                }
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
    }

    URI certsUri()
    {
        return server.uri().resolve("/cdn-cgi/access/certs");
    }

    URI base()
    {
        return server.uri();
    }

    @Override
    public void close()
    {
        server.close();
    }
}
