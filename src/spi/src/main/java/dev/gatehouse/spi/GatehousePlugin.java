package dev.gatehouse.spi;

import com.google.inject.Module;

/**
 * A Gatehouse handler plugin, discovered with {@link java.util.ServiceLoader}.
 *
 * <p>A plugin jar lists its implementation in
 * {@code META-INF/services/dev.gatehouse.spi.GatehousePlugin}. The host then:</p>
 * <ol>
 *   <li>binds every {@code gatehouse.<id>.<key>} property onto a fresh instance of
 *       {@link #configClass()} (see {@link Config});</li>
 *   <li>calls {@link #validate} so the plugin can report every problem it sees;</li>
 *   <li>fails start-up once, listing the problems of all plugins, or else creates one Guice child
 *       injector per plugin from {@link #module} and collects what the module contributed through
 *       {@link Contributions}.</li>
 * </ol>
 *
 * <p>Plugins never insert themselves into the handler chain: the host places the handler at the
 * position its {@link #slot()} defines. Nothing in a plugin may start threads or do I/O before
 * Jetty starts it; make contributed objects Jetty {@link org.eclipse.jetty.util.component.LifeCycle}s
 * and do that work in {@code doStart()}.</p>
 *
 * @param <C> the configuration class
 */
public interface GatehousePlugin<C>
{
    /**
     * @return the plugin id: lower-case kebab case, the middle of its property names
     * ({@code gatehouse.<id>.<key>}) and the suffix of its Jetty module ({@code gatehouse-<id>})
     */
    String id();

    /**
     * @return where the plugin's handler, if it contributes one, stands in the chain
     */
    Slot slot();

    /**
     * @return a class with a public no-argument constructor whose field initialisers are the
     * defaults and whose {@link Config}-annotated setters receive the properties
     */
    Class<C> configClass();

    /**
     * Reports every problem of a bound configuration. Problems of types (a bad duration, an
     * unknown enum value) were already reported by the host; this is for rules across keys.
     *
     * @param config the bound configuration
     * @param problems where to report, naming the key ({@code "trusted"}, not the full name)
     */
    default void validate(C config, Problems problems)
    {
    }

    /**
     * @param config the bound, validated configuration, also bound in the injector
     * @return exactly one Guice module that binds what this plugin contributes
     */
    Module module(C config);
}
