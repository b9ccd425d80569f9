package dev.gatehouse.plugin.securityheaders;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.gatehouse.spi.Upstream;
import dev.gatehouse.spi.UpstreamCustomizer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/**
 * Asks the upstream for HTML navigations without {@code br} and {@code zstd}, which the JDK
 * cannot decode, so their inline code can be hashed; gzip stays. Only requests that navigate
 * ({@code Sec-Fetch-Dest: document} or {@code iframe}, or an {@code Accept} that prefers HTML) are
 * touched: media, scripts and API calls keep the client's encodings. The cost is a few per cent
 * larger HTML documents, which are small.
 */
final class NavigationEncodingCustomizer implements UpstreamCustomizer
{
    @Override
    public void customizeRequest(Upstream upstream, Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
        if (!isNavigation(clientToProxyRequest))
            return;
        String acceptEncoding = clientToProxyRequest.getHeaders().get(HttpHeader.ACCEPT_ENCODING);
        if (acceptEncoding == null)
            return;
        String kept = withoutUndecodable(acceptEncoding);
        if (kept.equals(acceptEncoding))
            return;
        proxyToServerRequest.headers(headers ->
        {
            if (kept.isEmpty())
                headers.remove(HttpHeader.ACCEPT_ENCODING);
            else
                headers.put(HttpHeader.ACCEPT_ENCODING, kept);
        });
    }

    static boolean isNavigation(Request request)
    {
        String dest = request.getHeaders().get("Sec-Fetch-Dest");
        if (dest != null)
            return dest.equalsIgnoreCase("document") || dest.equalsIgnoreCase("iframe") || dest.equalsIgnoreCase("frame");
        String accept = request.getHeaders().get(HttpHeader.ACCEPT);
        return accept != null && accept.toLowerCase(Locale.ROOT).startsWith("text/html");
    }

    static String withoutUndecodable(String acceptEncoding)
    {
        List<String> kept = new ArrayList<>();
        for (String item : acceptEncoding.split(","))
        {
            String coding = item.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            if (coding.isEmpty() || coding.equals("br") || coding.equals("zstd"))
                continue;
            kept.add(item.trim());
        }
        return String.join(", ", kept);
    }
}
