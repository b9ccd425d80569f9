package dev.gatehouse.plugin.gate;

import dev.gatehouse.spi.Upstream;
import dev.gatehouse.spi.UpstreamCustomizer;
import org.eclipse.jetty.server.Request;

/**
 * The last word on the identity headers the upstream receives: whatever any earlier step copied,
 * every protected header is deleted again and the gate's own set from the identity the handler
 * attached. A request the gate never saw (none should exist) gets no identity at all.
 */
final class IdentityUpstreamCustomizer implements UpstreamCustomizer
{
    private final GateConfig config;

    IdentityUpstreamCustomizer(GateConfig config)
    {
        this.config = config;
    }

    @Override
    public void customizeRequest(Upstream upstream, Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest)
    {
        Identity identity = clientToProxyRequest.getAttribute(GateHandler.IDENTITY_ATTRIBUTE) instanceof Identity verified && verified.expiresAtSeconds() > 0 ? verified : null;
        String assertion = clientToProxyRequest.getAttribute(GateHandler.ASSERTION_ATTRIBUTE) instanceof String verified ? verified : null;
        // A bearer token was already removed by the handler, whose headers the proxy copied.
        proxyToServerRequest.headers(headers -> IdentityHeaders.rewrite(headers, identity, config.isIdentityHeaders(), config.isForwardToken(), assertion));
    }
}
