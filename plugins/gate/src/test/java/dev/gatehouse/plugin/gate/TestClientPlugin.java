package dev.gatehouse.plugin.gate;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.IpLiterals;
import dev.gatehouse.spi.Slot;
import dev.gatehouse.testkit.TestPlugin;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * Stands in for the forwarded plugin in tests: takes the client address from {@code X-Test-Client}
 * the way gatehouse-forwarded takes it from a trusted cloudflared, so the gate's "client" (as
 * opposed to its TCP peer) can be a public address on loopback.
 */
final class TestClientPlugin
{
    private TestClientPlugin()
    {
    }

    static TestPlugin create()
    {
        return TestPlugin.of("test-client", Slot.USER, binder -> Contributions.connectorCustomizers(binder).addBinding().toInstance(new HttpConfiguration.Customizer()
        {
            @Override
            public Request customize(Request request, HttpFields.Mutable responseHeaders)
            {
                String claimed = request.getHeaders().get("X-Test-Client");
                if (claimed == null)
                    return request;
                SocketAddress client = new InetSocketAddress(IpLiterals.parse(claimed), 40000);
                ConnectionMetaData metaData = new ConnectionMetaData.Wrapper(request.getConnectionMetaData())
                {
                    @Override
                    public SocketAddress getRemoteSocketAddress()
                    {
                        return client;
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
            }
        }));
    }
}
