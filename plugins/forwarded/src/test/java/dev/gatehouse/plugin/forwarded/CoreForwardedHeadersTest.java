package dev.gatehouse.plugin.forwarded;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

import com.google.inject.Module;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.Slot;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Request;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The core's own forwarded headers, without this plugin: an IPv6 client (faked by a customizer,
 * the harness listens on 127.0.0.1 only) goes upstream as RFC 5952 text without brackets.
 */
class CoreForwardedHeadersTest
{
    public static class NoConfig
    {
    }

    /**
     * Pretends the peer was 2001:0db8::5 (as a resolved address, as a real socket gives it).
     */
    static final class FakeIpv6Peer implements GatehousePlugin<NoConfig>
    {
        @Override
        public String id()
        {
            return "fake-ipv6-peer";
        }

        @Override
        public Slot slot()
        {
            return Slot.USER;
        }

        @Override
        public Class<NoConfig> configClass()
        {
            return NoConfig.class;
        }

        @Override
        public Module module(NoConfig config)
        {
            return binder -> Contributions.connectorCustomizers(binder).addBinding().toInstance((request, responseHeaders) ->
            {
                ConnectionMetaData metaData = new ConnectionMetaData.Wrapper(request.getConnectionMetaData())
                {
                    @Override
                    public SocketAddress getRemoteSocketAddress()
                    {
                        try
                        {
                            return new InetSocketAddress(InetAddress.getByName("2001:0db8:0:0:0:0:0:5"), 1234);
                        }
                        catch (java.net.UnknownHostException e)
                        {
                            throw new IllegalStateException(e);
                        }
                    }
                };
                return new Request.Wrapper(request)
                {
                    @Override
                    public ConnectionMetaData getConnectionMetaData()
                    {
                        return metaData;
                    }
                };
            });
        }
    }

    @Test
    void anIpv6ClientGoesUpstreamWithoutBrackets() throws Exception
    {
        try (StandInUpstream upstream = StandInUpstream.plain();
             GatehouseHarness gatehouse = GatehouseHarness.builder().upstream(upstream.uri()).plugin(new FakeIpv6Peer()).start())
        {
            assertEquals(200, gatehouse.http1().GET(gatehouse.uri("/echo")).getStatus());
            assertEquals(List.of("2001:db8::5"), upstream.lastRequest().values("X-Forwarded-For"));
            assertEquals(List.of("2001:db8::5"), upstream.lastRequest().values("X-Real-IP"));
        }
    }
}
