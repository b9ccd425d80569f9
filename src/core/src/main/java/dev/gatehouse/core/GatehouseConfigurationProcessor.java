package dev.gatehouse.core;

import java.util.Map;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.resource.Resource;
import org.eclipse.jetty.xml.ConfigurationProcessor;
import org.eclipse.jetty.xml.ConfigurationProcessorFactory;
import org.eclipse.jetty.xml.XmlConfiguration;
import org.eclipse.jetty.xml.XmlParser;

/**
 * Runs {@code etc/gatehouse.xml}, whose root element is {@code <Gatehouse/>}.
 *
 * <p>Jetty XML's {@code <Property>} reads one named property at a time; the host must see all of
 * them, to bind plugin configuration and to report misspelled {@code gatehouse.*} keys. Jetty's
 * extension point for other configuration formats, {@link ConfigurationProcessorFactory}, receives
 * the {@link XmlConfiguration} with every property start.jar passed and the objects created by
 * the XML files before it.</p>
 */
public final class GatehouseConfigurationProcessor implements ConfigurationProcessor
{
    public static final String ROOT_ELEMENT = "Gatehouse";

    private XmlConfiguration configuration;

    @Override
    public void init(Resource resource, XmlParser.Node root, XmlConfiguration configuration)
    {
        this.configuration = configuration;
    }

    @Override
    public Object configure(Object object)
    {
        return configure();
    }

    @Override
    public Object configure()
    {
        Map<String, Object> ids = configuration.getIdMap();
        if (!(ids.get("Server") instanceof Server server))
            throw new IllegalStateException("etc/gatehouse.xml must come after etc/jetty.xml, which creates the Server: enable the 'server' module");
        Gatehouse gatehouse = Gatehouse.install(server, configuration.getProperties(), ids);
        ids.put("Gatehouse", gatehouse);
        return null;
    }

    /**
     * Found by Jetty XML through {@link java.util.ServiceLoader}.
     */
    public static final class Factory implements ConfigurationProcessorFactory
    {
        @Override
        public ConfigurationProcessor getConfigurationProcessor(String dtd, String tag)
        {
            return ROOT_ELEMENT.equals(tag) ? new GatehouseConfigurationProcessor() : null;
        }
    }
}
