package dev.gatehouse.core.launch;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jar bin/gatehouse puts on the class path in place of resources/ serves the same resources;
 * LauncherIT runs it in the assembled distribution.
 */
class DirectoryJarTest
{
    @TempDir
    Path temp;

    @Test
    void theJarServesEveryFileUnderItsRelativeNameAndNothingIsLeftBeside() throws Exception
    {
        Path resources = Files.createDirectories(temp.resolve("resources"));
        Files.writeString(resources.resolve("jetty-logging.properties"), "org.eclipse.jetty.LEVEL=WARN\n");
        Files.createDirectories(resources.resolve("META-INF/services"));
        Files.writeString(resources.resolve("META-INF/services/example.Service"), "example.Implementation\n");
        Path cache = Files.createDirectories(temp.resolve("cache"));
        Path jar = cache.resolve("resources-abc.jar");

        DirectoryJar.pack(resources, jar);

        try (ZipFile zip = new ZipFile(jar.toFile()))
        {
            List<String> names = new ArrayList<>();
            zip.stream().forEach(entry -> names.add(entry.getName()));
            assertEquals(List.of("META-INF/services/example.Service", "jetty-logging.properties"), names);
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[]{jar.toUri().toURL()}, null))
        {
            try (var input = loader.getResourceAsStream("jetty-logging.properties"))
            {
                assertEquals("org.eclipse.jetty.LEVEL=WARN\n", new String(input.readAllBytes(), StandardCharsets.UTF_8));
            }
            assertEquals(1, Collections.list(loader.getResources("META-INF/services/example.Service")).size());
        }
        try (var files = Files.list(cache))
        {
            assertEquals(List.of(jar), files.toList(), "a staged file was left beside the jar");
        }
    }

    @Test
    void packingAgainReplacesTheJarWhole() throws Exception
    {
        Path resources = Files.createDirectories(temp.resolve("resources"));
        Files.writeString(resources.resolve("a.properties"), "a=1\n");
        Files.writeString(resources.resolve("b.properties"), "b=1\n");
        Path jar = temp.resolve("resources.jar");
        DirectoryJar.pack(resources, jar);
        Files.delete(resources.resolve("b.properties"));
        DirectoryJar.pack(resources, jar);
        try (ZipFile zip = new ZipFile(jar.toFile()))
        {
            assertEquals(1, zip.size());
            assertTrue(zip.getEntry("a.properties") != null);
        }
    }

    @Test
    void aMissingDirectoryIsAnErrorAndWritesNothing()
    {
        Path jar = temp.resolve("resources.jar");
        IOException error = assertThrows(IOException.class, () -> DirectoryJar.pack(temp.resolve("absent"), jar));
        assertEquals(temp.resolve("absent") + " is not a directory", error.getMessage());
        assertFalse(Files.exists(jar));
    }
}
