package dev.gatehouse.plugin.forwarded;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.gatehouse.plugin.forwarded.ForwardedConfig.Preset;
import dev.gatehouse.plugin.forwarded.ForwardedConfig.ProxyEntry;
import dev.gatehouse.spi.Cidr;
import dev.gatehouse.spi.GatehouseEnvironment;
import jakarta.inject.Inject;
import org.eclipse.jetty.http.HostPortHttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.HostPort;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound half: on every connector, before any handler, replaces the request's client
 * address (and, from trusted peers, scheme, host and port) with what {@link ClientResolver}
 * concluded. Everything later (handlers, the proxy, the request log) sees the real client through
 * the ordinary API: {@code Request.getRemoteAddr}, {@code getConnectionMetaData().getRemoteSocketAddress()},
 * {@code isSecure}, {@code getHttpURI}, {@code Request.getServerName/Port}.
 *
 * <p>Unlike Jetty's ForwardedRequestCustomizer, the remote address is a resolved
 * {@link InetSocketAddress} of a strictly parsed literal (never a host name, never DNS), and a
 * bad header never fails the request. The Cloudflare file is read in {@link #doStart}; until
 * then nothing is believed.</p>
 */
public class ForwardedCustomizer extends AbstractLifeCycle implements HttpConfiguration.Customizer
{
    private static final Logger LOG = LoggerFactory.getLogger(ForwardedCustomizer.class);

    private final ForwardedConfig config;
    private final Path base;
    private volatile ClientResolver resolver;

    @Inject
    public ForwardedCustomizer(ForwardedConfig config, GatehouseEnvironment environment)
    {
        this.config = config;
        this.base = environment.base();
    }

    @Override
    protected void doStart() throws Exception
    {
        List<Cidr> cloudflare = List.of();
        if (config.usesCloudflarePreset())
        {
            Path file = base.resolve(config.getCloudflareIpsFile());
            try
            {
                cloudflare = CloudflareRanges.read(file);
            }
            catch (IOException e)
            {
                throw new IllegalStateException("gatehouse.forwarded: cannot read the Cloudflare ranges for the 'cloudflare' preset from " + file + ": " + e, e);
            }
            catch (IllegalArgumentException e)
            {
                throw new IllegalStateException("gatehouse.forwarded: " + e.getMessage(), e);
            }
            LOG.info("Read {} Cloudflare ranges from {}", cloudflare.size(), file);
        }
        ClientResolver.Settings settings = settings(config, cloudflare);
        if (settings.trustsNobody())
            LOG.info("gatehouse-forwarded: no proxy is trusted, so every client is its TCP peer and forwarded headers are only rebuilt for the upstream");
        else
            LOG.info("gatehouse-forwarded: internal proxies {}, trusted proxies {}, CF-Connecting-IP from {}, chain header {}",
                config.getInternalProxies(), config.getTrustedProxies(), config.getCfConnectingIpFrom(), config.getHeader());
        resolver = new ClientResolver(settings);
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception
    {
        resolver = null;
        super.doStop();
    }

    /**
     * @param cloudflare the ranges the {@code cloudflare} preset stands for
     */
    static ClientResolver.Settings settings(ForwardedConfig config, List<Cidr> cloudflare)
    {
        return new ClientResolver.Settings(
            addresses(config.internalProxyEntries(), cloudflare),
            addresses(config.trustedProxyEntries(), cloudflare),
            addresses(config.cfConnectingIpFromEntries(), cloudflare),
            config.getHeader(), config.isAcceptProto(), config.isAcceptHost(), config.isAcceptPort(), config.getMaxHops());
    }

    private static AddressSet addresses(List<ProxyEntry> entries, List<Cidr> cloudflare)
    {
        List<Cidr> blocks = new ArrayList<>();
        for (ProxyEntry entry : entries)
        {
            if (entry.preset() == Preset.CLOUDFLARE)
                blocks.addAll(cloudflare);
            else if (entry.preset() != null)
                blocks.addAll(entry.preset().blocks());
            else
                blocks.add(entry.block());
        }
        return new AddressSet(blocks);
    }

    @Override
    public Request customize(Request request, HttpFields.Mutable responseHeaders)
    {
        ClientResolver current = resolver;
        if (current == null)
            return request;
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        if (!(remote instanceof InetSocketAddress peer) || peer.isUnresolved() || peer.getAddress() == null)
            return request;
        Resolution resolution = current.resolve(peer.getAddress(), peer.getPort(), request.getHeaders());
        if (resolution == null)
            return request;
        if (LOG.isDebugEnabled())
            LOG.debug("peer {}: {}", Addresses.format(peer.getAddress()), resolution);
        // A trusted peer that forwarded nothing: the request already says all there is to say.
        if (resolution.chain().length == 1 && resolution.scheme() == null && resolution.host() == null && resolution.port() < 0)
            return request;
        return wrap(request, resolution);
    }

    private static Request wrap(Request request, Resolution resolution)
    {
        InetSocketAddress client = new InetSocketAddress(resolution.client(), resolution.clientPort());
        HttpURI uri = request.getHttpURI();
        HttpURI.Mutable builder = null;
        String scheme = resolution.scheme();
        if (scheme != null && !scheme.equalsIgnoreCase(uri.getScheme()))
            builder = HttpURI.build(uri).scheme(scheme);
        HostPort authority = null;
        if (resolution.host() != null || resolution.port() > 0)
        {
            String host = resolution.host() != null ? resolution.host() : uri.getHost();
            if (host != null && !host.isEmpty())
            {
                // A host without a port means the scheme's default port, not the listener's.
                int port = resolution.port() > 0 ? resolution.port() : 0;
                authority = new HostPort(host, port);
                builder = (builder == null ? HttpURI.build(uri) : builder).authority(host, port);
            }
        }
        HttpURI newUri = builder == null ? uri : builder.asImmutable();
        HttpFields headers = authority == null ? request.getHeaders() : HttpFields.build(request.getHeaders(), new HostPortHttpField(authority));
        HostPort serverAuthority = authority;
        ConnectionMetaData metaData = new ConnectionMetaData.Wrapper(request.getConnectionMetaData())
        {
            @Override
            public SocketAddress getRemoteSocketAddress()
            {
                return client;
            }

            @Override
            public HostPort getServerAuthority()
            {
                return serverAuthority != null ? serverAuthority : super.getServerAuthority();
            }
        };
        return new Request.Wrapper(request)
        {
            @Override
            public ConnectionMetaData getConnectionMetaData()
            {
                return metaData;
            }

            @Override
            public HttpURI getHttpURI()
            {
                return newUri;
            }

            @Override
            public HttpFields getHeaders()
            {
                return headers;
            }

            @Override
            public boolean isSecure()
            {
                return scheme != null ? scheme.equals("https") : super.isSecure();
            }

            @Override
            public Object getAttribute(String name)
            {
                return Resolution.ATTRIBUTE.equals(name) ? resolution : super.getAttribute(name);
            }
        };
    }
}
