package dev.gatehouse.core.tls;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.gatehouse.core.CoreConfig;
import dev.gatehouse.spi.Config;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS keys are documented with their defaults in gatehouse.mod's [ini-template], and the
 * gatehouse-conscrypt module loads the shipped jar, provides the ALPN implementation and selects
 * the provider, with nothing to download.
 */
class ModuleFilesTest
{
    @Test
    void tlsKeysHaveTheirCommentedDefaults() throws Exception
    {
        String module = Files.readString(Path.of("src/main/config/modules/gatehouse.mod"));
        String template = module.substring(module.indexOf("[ini-template]"));
        int count = 0;
        for (Method method : CoreConfig.class.getMethods())
        {
            Config config = method.getAnnotation(Config.class);
            if (config == null || !config.value().startsWith("tls."))
                continue;
            count++;
            assertTrue(template.contains("\n# gatehouse." + config.value() + "="), "no commented default of gatehouse." + config.value());
        }
        assertTrue(count >= 4, "tls keys: " + count);
        assertTrue(template.contains("\n# gatehouse.tls.scan-interval=5s\n"));
        assertTrue(template.contains("\n# gatehouse.tls.self-signed=true\n"));
    }

    @Test
    void conscryptModuleNeedsNoDownload() throws Exception
    {
        String module = Files.readString(Path.of("src/main/config/modules/gatehouse-conscrypt.mod"));
        assertTrue(module.contains("[provides]\nalpn-impl\n"), module);
        assertTrue(module.contains("[lib]\nlib/gatehouse/conscrypt/*.jar\nlib/jetty-alpn-conscrypt-server-${jetty.version}.jar\n"), module);
        assertTrue(module.contains("[xml]\netc/gatehouse-conscrypt.xml\n"), module);
        assertTrue(module.contains("[ini]\njetty.sslContext.provider=Conscrypt\n"), module);
        assertTrue(!module.contains("[files]") && !module.contains("maven://"), "nothing to download");
        assertTrue(Files.readString(Path.of("src/main/config/etc/gatehouse-conscrypt.xml")).contains("<Call class=\"java.security.Security\" name=\"addProvider\">"));
    }
}
