package dev.gatehouse.core.apps;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.gatehouse.core.config.ConfigurationProblems;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AppFileTest
{
    @TempDir
    Path directory;

    @Test
    void keysAreReadAsWrittenAndTheNameIsTheLowerCasedBaseName() throws Exception
    {
        Path file = Files.writeString(directory.resolve("Home-Assistant.properties"), "# comment\ngatehouse.hosts = ha.example.com \ngatehouse.upstream=http://127.0.0.1:8123\n");
        ConfigurationProblems problems = new ConfigurationProblems();
        AppFile app = AppFile.read(file, problems);
        assertEquals(List.of(), problems.list());
        assertEquals("home-assistant", app.name());
        assertEquals(Map.of("gatehouse.hosts", "ha.example.com", "gatehouse.upstream", "http://127.0.0.1:8123"), app.properties());
    }

    @Test
    void everyProblemIsListed() throws Exception
    {
        Path file = Files.writeString(directory.resolve("default.properties"), "gatehouse.hosts=a.test\ngatehouse.hosts=b.test\nupstream=http://127.0.0.1\n");
        ConfigurationProblems problems = new ConfigurationProblems();
        AppFile.read(file, problems);
        assertEquals(List.of(
            "'default' is the name of the app configured in start.d; give this file another name",
            "gatehouse.hosts: set twice; only one value may be given",
            "upstream: not a Gatehouse key; app files hold gatehouse.* keys, e.g. gatehouse.hosts and gatehouse.upstream"), problems.list());
    }

    @Test
    void aBadFileNameAndNonUtf8TextAreReported() throws Exception
    {
        Path file = Files.write(directory.resolve("my_app.properties"), new byte[]{'a', '=', (byte)0xff, (byte)0xfe, '\n'});
        ConfigurationProblems problems = new ConfigurationProblems();
        AppFile.read(file, problems);
        assertEquals(List.of(
            "the file name gives the app the name 'my_app'; name app files with lower-case letters, digits and '-', e.g. home-assistant.properties",
            "the file is not UTF-8 text"), problems.list());
    }
}
