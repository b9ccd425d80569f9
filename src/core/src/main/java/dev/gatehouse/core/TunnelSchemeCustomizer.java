package dev.gatehouse.core;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpScheme;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * On the loopback tunnel listener, the TLS hop ended at Cloudflare's edge: the original scheme is
 * the {@code X-Forwarded-Proto} that cloudflared writes. The listener binds loopback only, so the
 * peer is cloudflared (or another local process, which could equally connect to the upstream).
 * Only the scheme is taken here; the client address is the client-identity plugin's job, which
 * judges every hop against its trusted ranges.
 */
public class TunnelSchemeCustomizer implements HttpConfiguration.Customizer
{
    @Override
    public Request customize(Request request, org.eclipse.jetty.http.HttpFields.Mutable responseHeaders)
    {
        String proto = request.getHeaders().get(HttpHeader.X_FORWARDED_PROTO);
        if (proto == null || !(proto.equalsIgnoreCase("https") || proto.equalsIgnoreCase("http")))
            return request;
        boolean secure = proto.equalsIgnoreCase("https");
        HttpURI uri = HttpURI.build(request.getHttpURI()).scheme(secure ? HttpScheme.HTTPS : HttpScheme.HTTP).asImmutable();
        return new Request.Wrapper(request)
        {
            @Override
            public HttpURI getHttpURI()
            {
                return uri;
            }

            @Override
            public boolean isSecure()
            {
                return secure;
            }
        };
    }
}
