package dev.gatehouse.core.launch;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Packs a class-path directory into a jar, for {@code bin/gatehouse}: Java 25 refuses a class
 * archive (class data sharing) whose class path holds a non-empty directory, and a base's
 * {@code resources/} (Jetty's logging configuration) is one. The launcher puts the jar in its
 * place in the cached command line and packs again whenever the directory changes (it is part of
 * the launcher's fingerprint). Runs before Jetty, in its own short JVM: no logging, exit codes only.
 *
 * <p>Usage: {@code DirectoryJar <directory> <jar>}; the jar is written beside its final name and
 * moved into place, so a reader never sees half of it.
 */
public final class DirectoryJar
{
    private DirectoryJar()
    {
    }

    public static void main(String[] args)
    {
        if (args.length != 2)
        {
            System.err.println("usage: DirectoryJar <directory> <jar>");
            System.exit(2);
        }
        try
        {
            pack(Path.of(args[0]), Path.of(args[1]));
        }
        catch (IOException | RuntimeException e)
        {
            System.err.println("DirectoryJar: " + e);
            System.exit(1);
        }
    }

    static void pack(Path directory, Path jar) throws IOException
    {
        if (!Files.isDirectory(directory))
            throw new IOException(directory + " is not a directory");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(directory))
        {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        Path staged = Files.createTempFile(jar.toAbsolutePath().getParent(), jar.getFileName().toString(), ".tmp");
        try
        {
            try (OutputStream output = Files.newOutputStream(staged); ZipOutputStream zip = new ZipOutputStream(output))
            {
                for (Path file : files)
                {
                    ZipEntry entry = new ZipEntry(directory.relativize(file).toString().replace(java.io.File.separatorChar, '/'));
                    FileTime modified = Files.getLastModifiedTime(file);
                    entry.setLastModifiedTime(modified);
                    zip.putNextEntry(entry);
                    Files.copy(file, zip);
                    zip.closeEntry();
                }
            }
            Files.move(staged, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        finally
        {
            Files.deleteIfExists(staged);
        }
    }
}
