package dev.gatehouse.core;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Sends every request that arrives on the plain-HTTP redirect listener to the same URI over
 * HTTPS, with 308 so that a method and body are kept. Requests on other listeners pass on.
 */
public class RedirectToHttpsHandler extends Handler.Wrapper
{
    public static final String CONNECTOR_NAME = "gatehouse-redirect";

    private final int httpsPort;

    public RedirectToHttpsHandler(int httpsPort)
    {
        this.httpsPort = httpsPort;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception
    {
        if (!CONNECTOR_NAME.equals(request.getConnectionMetaData().getConnector().getName()))
            return super.handle(request, response, callback);
        HttpURI uri = request.getHttpURI();
        String host = Request.getServerName(request);
        HttpURI location = HttpURI.build()
            .scheme("https")
            .host(host)
            .port(httpsPort == 443 ? -1 : httpsPort)
            .path(uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath())
            .query(uri.getQuery());
        response.setStatus(HttpStatus.PERMANENT_REDIRECT_308);
        response.getHeaders().put(HttpHeader.LOCATION, location.asString());
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
        callback.succeeded();
        return true;
    }
}
