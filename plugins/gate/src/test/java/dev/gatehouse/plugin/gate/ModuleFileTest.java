package dev.gatehouse.plugin.gate;

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
        String module = Files.readString(Path.of("src/main/config/modules/gatehouse-gate.mod"));
        assertTrue(module.contains("[ini]\ngatehouse-plugin.gate=lib/gatehouse/plugins/gate"), module);
        String template = module.substring(module.indexOf("[ini-template]"));
        int count = 0;
        for (Method method : GateConfig.class.getMethods())
        {
            Config config = method.getAnnotation(Config.class);
            if (config == null)
                continue;
            count++;
            String key = "gatehouse.gate." + config.value();
            assertTrue(template.contains("## " + key + ":"), "no explanation of " + key);
            assertTrue(template.contains("\n# " + key + "="), "no commented default of " + key);
        }
        assertTrue(count >= 35, "properties: " + count);
        // The example rules file parses.
        java.util.List<String> problems = new java.util.ArrayList<>();
        String example = Files.readString(Path.of("../../etc/gatehouse/gate-rules.txt"));
        java.util.List<String> lines = example.substring(example.indexOf("# Examples")).lines().skip(1).map(line -> line.substring(2)).toList();
        var rules = RulesFile.parse(lines, problems);
        assertTrue(problems.isEmpty(), problems.toString());
        assertTrue(rules.size() == 5, rules.toString());
    }
}
