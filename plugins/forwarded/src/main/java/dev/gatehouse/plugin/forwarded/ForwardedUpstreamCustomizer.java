package dev.gatehouse.plugin.forwarded;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

import dev.gatehouse.plugin.forwarded.ForwardedConfig.UpstreamChain;
import dev.gatehouse.spi.Upstream;
import dev.gatehouse.spi.UpstreamCustomizer;
import jakarta.inject.Inject;
import org.eclipse.jetty.server.Request;

/**
 * The outbound half: what the upstream receives as the client. Runs after the core rebuilt the
 * forwarded headers (deleting every incoming one, in every spelling, and those named in
 * {@code Connection}), and writes {@code X-Forwarded-For} (the client, or the verified chain),
 * {@code X-Real-IP} and, when enabled, {@code Forwarded}.
 */
public class ForwardedUpstreamCustomizer implements UpstreamCustomizer
{
    private final boolean fullChain;
    private final boolean forwarded;

    @Inject
    public ForwardedUpstreamCustomizer(ForwardedConfig config)
    {
        this.fullChain = config.getUpstreamXForwardedFor() == UpstreamChain.CHAIN;
        this.forwarded = config.isUpstreamForwarded();
    }

    @Override
    public void customizeRequest(Upstream upstream, Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
        InetAddress[] chain;
        if (clientToProxyRequest.getAttribute(Resolution.ATTRIBUTE) instanceof Resolution resolution)
        {
            chain = resolution.chain();
        }
        else
        {
            SocketAddress remote = clientToProxyRequest.getConnectionMetaData().getRemoteSocketAddress();
            if (!(remote instanceof InetSocketAddress peer) || peer.isUnresolved() || peer.getAddress() == null)
                return;
            chain = new InetAddress[]{Addresses.peer(peer.getAddress())};
        }
        String scheme = clientToProxyRequest.getHttpURI().getScheme();
        if (scheme == null)
            scheme = clientToProxyRequest.isSecure() ? "https" : "http";
        String authority = authority(clientToProxyRequest, scheme);
        String finalScheme = scheme;
        proxyToServerRequest.headers(headers -> UpstreamHeaders.apply(headers, chain, fullChain, forwarded, finalScheme, authority));
    }

    private static String authority(Request request, String scheme)
    {
        String host = Request.getServerName(request);
        if (host == null || host.isEmpty())
            return null;
        int port = Request.getServerPort(request);
        boolean defaultPort = port <= 0 || ("https".equals(scheme) && port == 443) || ("http".equals(scheme) && port == 80);
        return defaultPort ? host : host + ":" + port;
    }
}
