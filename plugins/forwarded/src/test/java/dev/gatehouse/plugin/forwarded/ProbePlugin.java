package dev.gatehouse.plugin.forwarded;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.google.inject.Module;
import dev.gatehouse.spi.Contributions;
import dev.gatehouse.spi.GatehousePlugin;
import dev.gatehouse.spi.Slot;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A test plugin whose handler records what a later handler sees of the client through Jetty's
 * ordinary API.
 */
final class ProbePlugin implements GatehousePlugin<ProbePlugin.ProbeConfig>
{
    record Seen(String remoteAddr, int remotePort, boolean secure, String scheme, String serverName, int serverPort, String hostHeader)
    {
    }

    public static class ProbeConfig
    {
    }

    final Queue<Seen> seen = new ConcurrentLinkedQueue<>();

    @Override
    public String id()
    {
        return "probe";
    }

    @Override
    public Slot slot()
    {
        return Slot.USER;
    }

    @Override
    public Class<ProbeConfig> configClass()
    {
        return ProbeConfig.class;
    }

    @Override
    public Module module(ProbeConfig config)
    {
        return binder -> Contributions.handler(binder).toInstance(new Handler.Wrapper()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception
            {
                seen.add(new Seen(Request.getRemoteAddr(request), Request.getRemotePort(request), request.isSecure(), request.getHttpURI().getScheme(),
                    Request.getServerName(request), Request.getServerPort(request), request.getHeaders().get("Host")));
                return super.handle(request, response, callback);
            }
        });
    }

    Seen last()
    {
        Seen last = null;
        for (Seen each : seen)
            last = each;
        return last;
    }
}
