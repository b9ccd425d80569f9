package dev.gatehouse.core.tls;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.gatehouse.core.CoreConfig;
import dev.gatehouse.spi.Config;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS keys are documented with their defaults in gatehouse.mod's [ini-template], every base
 * has the shipped Conscrypt jar and its ALPN processor on the class path, and the
 * gatehouse-conscrypt module only makes Conscrypt a requirement, with nothing to download.
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
    void conscryptIsOnTheClassPathOfEveryBaseAndItsModuleOnlyRequiresIt() throws Exception
    {
        String tls = Files.readString(Path.of("src/main/config/modules/gatehouse-tls.mod"));
        assertTrue(tls.contains("[lib]\nlib/gatehouse/*.jar\nlib/gatehouse/conscrypt/*.jar\nlib/jetty-alpn-conscrypt-server-${jetty.version}.jar\n"), tls);
        String module = Files.readString(Path.of("src/main/config/modules/gatehouse-conscrypt.mod"));
        assertTrue(module.contains("[ini]\ngatehouse.tls.provider=conscrypt\n"), module);
        assertTrue(module.contains("[depend]\ngatehouse-tls\n"), module);
        assertTrue(!module.contains("[files]") && !module.contains("maven://"), "nothing to download");
        // It no longer provides alpn-impl: Jetty's alpn-java stays, and Conscrypt's ALPN processor
        // (on the class path through gatehouse-tls) serves Conscrypt's engines beside it.
        assertTrue(!module.contains("[provides]"), module);
    }
}
