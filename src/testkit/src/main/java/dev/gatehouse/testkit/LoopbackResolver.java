package dev.gatehouse.testkit;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.SocketAddressResolver;

/**
 * Resolves every host name to 127.0.0.1 and keeps the name with the address, so that a test
 * client can address apps by name ({@code https://jellyfin.test:PORT/}): TLS sends that name as
 * SNI and verifies the certificate against it, {@code Host} carries it, and nothing leaves loopback.
 */
public final class LoopbackResolver implements SocketAddressResolver
{
    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    @Override
    public void resolve(String host, int port, Map<String, Object> context, Promise<List<InetSocketAddress>> promise)
    {
        try
        {
            promise.succeeded(List.of(new InetSocketAddress(InetAddress.getByAddress(host, LOOPBACK), port)));
        }
        catch (UnknownHostException e)
        {
            promise.failed(e);
        }
    }
}
