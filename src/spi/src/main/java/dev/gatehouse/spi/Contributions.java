package dev.gatehouse.spi;

import com.google.inject.Binder;
import com.google.inject.binder.LinkedBindingBuilder;
import com.google.inject.multibindings.Multibinder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;

/**
 * The things a plugin's Guice module can contribute. Each method returns the binding builder to
 * complete, e.g. {@code Contributions.handler(binder()).to(BlocklistHandler.class)}.
 */
public final class Contributions
{
    private Contributions()
    {
    }

    /**
     * The plugin's handler, placed in the chain at the plugin's {@link Slot}. It must be a
     * {@link Handler.Wrapper} with no child: the host links it to the next handler. At most one
     * per plugin.
     *
     * <p>A handler that may block a thread (a blocking read or write, waiting for a future or a
     * remote call) must say so, as Jetty's contract asks: return
     * {@code InvocationType.BLOCKING} from {@link Handler#getInvocationType()}. While every
     * handler of an app is non-blocking (a {@code Handler.Wrapper}'s default), a request a
     * selector reads is handled on that selector's thread, and the responses of HTTP/1.1
     * clients are read from the upstream and written through the handlers' response wrappers on
     * the upstream connection's I/O thread, with no hand-off. One handler declaring
     * {@code BLOCKING} makes the app router hand each request of its app to a pool thread, and
     * every response of its app goes to a pool thread too. A handler that blocks only sometimes
     * can stay non-blocking by handing just that work to a pool thread and continuing from there,
     * as the access gate does for a token whose keys may have to be fetched.</p>
     */
    public static LinkedBindingBuilder<Handler.Wrapper> handler(Binder binder)
    {
        return binder.bind(Handler.Wrapper.class).annotatedWith(ChainHandler.class);
    }

    /**
     * Connector customizers, added to the {@link HttpConfiguration} of every connector that
     * proxies: they run before any handler, so all handlers and the request log see their effect.
     */
    public static Multibinder<HttpConfiguration.Customizer> connectorCustomizers(Binder binder)
    {
        return Multibinder.newSetBinder(binder, HttpConfiguration.Customizer.class, ChainHandler.class);
    }

    /**
     * Customizers of the upstream clients and of every request sent upstream.
     */
    public static Multibinder<UpstreamCustomizer> upstreamCustomizers(Binder binder)
    {
        return Multibinder.newSetBinder(binder, UpstreamCustomizer.class);
    }

    /**
     * Other Jetty components the plugin needs started and stopped with the server (caches,
     * schedulers, key refreshers); anything bound here that is a
     * {@link org.eclipse.jetty.util.component.LifeCycle} is managed by the server.
     */
    public static Multibinder<Object> managedBeans(Binder binder)
    {
        return Multibinder.newSetBinder(binder, Object.class, ChainHandler.class);
    }
}
