package dev.gatehouse.plugin.pathblocklist;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Locale;

import dev.gatehouse.spi.Cidr;
import jakarta.inject.Inject;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses requests whose path falls under a configured prefix. The path is judged after Jetty
 * decoded it and removed dot segments once (its canonical form), and case-insensitively, so that
 * {@code /%61dmin}, {@code /x/../admin} and {@code /ADMIN} are all {@code /admin}. A path Jetty
 * cannot make canonical is refused with 400 rather than guessed at.
 */
public final class PathBlocklistHandler extends Handler.Wrapper
{
    private static final Logger LOG = LoggerFactory.getLogger(PathBlocklistHandler.class);

    private final List<String> prefixes;
    private final int status;
    private final List<Cidr> allowFrom;

    @Inject
    public PathBlocklistHandler(PathBlocklistConfig config)
    {
        this.prefixes = config.getPaths().stream().map(PathBlocklistHandler::normalizePrefix).toList();
        this.status = config.getStatus();
        this.allowFrom = config.getAllowFrom();
    }

    private static String normalizePrefix(String prefix)
    {
        String lower = prefix.toLowerCase(Locale.ROOT);
        return lower.length() > 1 && lower.endsWith("/") ? lower.substring(0, lower.length() - 1) : lower;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception
    {
        String path = request.getHttpURI().getCanonicalPath();
        if (path == null)
        {
            Response.writeError(request, response, callback, 400);
            return true;
        }
        if (isBlocked(path.toLowerCase(Locale.ROOT)) && !isAllowedClient(request))
        {
            if (LOG.isDebugEnabled())
                LOG.debug("refused {} {} from {}", request.getMethod(), path, Request.getRemoteAddr(request));
            Response.writeError(request, response, callback, status);
            return true;
        }
        return super.handle(request, response, callback);
    }

    private boolean isBlocked(String path)
    {
        for (String prefix : prefixes)
        {
            // On segment boundaries: /admin blocks /admin and /admin/x, not /administrator.
            if (path.equals(prefix) || prefix.equals("/") || (path.startsWith(prefix) && path.charAt(prefix.length()) == '/'))
                return true;
        }
        return false;
    }

    private boolean isAllowedClient(Request request)
    {
        if (allowFrom.isEmpty())
            return false;
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        if (!(remote instanceof InetSocketAddress socket) || socket.getAddress() == null)
            return false;
        InetAddress address = socket.getAddress();
        return allowFrom.stream().anyMatch(cidr -> cidr.contains(address));
    }
}
