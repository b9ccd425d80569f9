package dev.gatehouse.plugin.forwarded;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.gatehouse.spi.Config;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every property is explained ({@code ##}) and shown with its default ({@code #}) in the Jetty
 * module's [ini-template], and the plugin directory in [ini] matches the id.
 */
class ModuleFileTest
{
    @Test
    void everyPropertyIsDocumented() throws Exception
    {
        String module = Files.readString(Path.of("src/main/config/modules/gatehouse-forwarded.mod"));
        assertTrue(module.contains("[ini]\ngatehouse-plugin.forwarded=lib/gatehouse/plugins/forwarded"), module);
        String template = module.substring(module.indexOf("[ini-template]"));
        int count = 0;
        for (Method method : ForwardedConfig.class.getMethods())
        {
            Config config = method.getAnnotation(Config.class);
            if (config == null)
                continue;
            count++;
            String key = "gatehouse.forwarded." + config.value();
            assertTrue(template.contains("## " + key + ":"), "no explanation of " + key);
            assertTrue(template.contains("\n# " + key + "="), "no commented default of " + key);
        }
        assertTrue(count >= 11, "properties: " + count);
        assertTrue(template.contains("# gatehouse.forwarded.header=x-forwarded-for"));
        assertTrue(template.contains("# gatehouse.forwarded.max-hops=20"));
        assertTrue(template.contains("# gatehouse.forwarded.cloudflare-ips-file=etc/gatehouse/cloudflare-ips.txt"));
    }
}
