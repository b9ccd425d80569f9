package dev.gatehouse.core.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * The files of one {@code gatehouse.tls.certificates} entry, found and read in one go, so that
 * what is parsed is exactly what was fingerprinted: a PKCS12 keystore, a PEM file holding the key
 * and the chain, or a directory in one of the layouts that ACME clients write. Symbolic links are
 * followed afresh on every read (certbot's {@code live/} links point into {@code archive/} and move
 * on every renewal).
 */
public record CertificateFiles(Path entry, Layout layout, Path certificateFile, Path keyFile,
                               Path certificateTarget, Path keyTarget, byte[] certificateBytes, byte[] keyBytes, String problem)
{
    /**
     * Files larger than this are not certificates; refusing them bounds what a wrong path can cost.
     */
    static final long MAX_FILE_SIZE = 1024 * 1024;

    public enum Layout
    {
        /** a .p12 or .pfx keystore with one key entry */
        PKCS12("PKCS12 keystore"),
        /** one PEM file with the key and the chain (HAProxy style) */
        PEM("PEM file"),
        /** certbot: fullchain.pem + privkey.pem */
        CERTBOT("certbot directory"),
        /** acme.sh: fullchain.cer + DOMAIN.key */
        ACME_SH("acme.sh directory"),
        /** Caddy: NAME.crt + NAME.key */
        CADDY("Caddy directory"),
        /** a directory with exactly one certificate file and one key file */
        PAIR("directory"),
        /** nothing usable was found; see {@link #problem()} */
        NONE("entry");

        private final String description;

        Layout(String description)
        {
            this.description = description;
        }

        public String description()
        {
            return description;
        }
    }

    static final String LAYOUTS = "expected fullchain.pem and privkey.pem (certbot), fullchain.cer and <domain>.key (acme.sh), " +
        "<name>.crt and <name>.key (Caddy), or exactly one certificate file and one key file";

    /**
     * @return whether the files were found and read; if not, {@link #problem()} says why
     */
    public boolean isReadable()
    {
        return problem == null;
    }

    /**
     * Finds and reads the files of an entry. Never throws: what goes wrong is the {@link #problem()}.
     */
    public static CertificateFiles read(Path entry)
    {
        try
        {
            if (!Files.exists(entry))
            {
                if (Files.isSymbolicLink(entry))
                    return failed(entry, entry + ": is a broken symbolic link (to " + Files.readSymbolicLink(entry) + ")");
                return failed(entry, entry + ": does not exist");
            }
            if (Files.isDirectory(entry))
                return readDirectory(entry);
            String name = entry.getFileName().toString().toLowerCase(Locale.ROOT);
            boolean pkcs12 = name.endsWith(".p12") || name.endsWith(".pfx") || name.endsWith(".pkcs12");
            Path target = entry.toRealPath();
            byte[] bytes = readBounded(entry, target);
            return new CertificateFiles(entry, pkcs12 ? Layout.PKCS12 : Layout.PEM, entry, entry, target, target, bytes, bytes, null);
        }
        catch (Unreadable e)
        {
            return failed(entry, e.getMessage());
        }
        catch (IOException e)
        {
            return failed(entry, entry + ": cannot be read (" + reason(e) + ")");
        }
    }

    private static CertificateFiles readDirectory(Path directory) throws IOException, Unreadable
    {
        TreeMap<String, Path> files = new TreeMap<>();
        try (DirectoryStream<Path> listing = Files.newDirectoryStream(directory))
        {
            for (Path file : listing)
            {
                String name = file.getFileName().toString();
                if (!name.startsWith(".") && Files.isRegularFile(file))
                    files.put(name, file);
            }
        }
        catch (AccessDeniedException e)
        {
            throw new Unreadable(directory + ": cannot be read (permission denied)");
        }

        if (files.containsKey("fullchain.pem") && files.containsKey("privkey.pem"))
            return pair(directory, Layout.CERTBOT, files.get("fullchain.pem"), files.get("privkey.pem"));

        List<String> keys = files.keySet().stream().filter(name -> name.endsWith(".key")).toList();
        if (files.containsKey("fullchain.cer") && !keys.isEmpty())
        {
            if (keys.size() > 1)
                throw new Unreadable(directory + ": holds several key files (" + String.join(", ", keys) + ") beside fullchain.cer; expected one <domain>.key (acme.sh)");
            return pair(directory, Layout.ACME_SH, files.get("fullchain.cer"), files.get(keys.get(0)));
        }

        List<String> caddyNames = keys.stream()
            .map(key -> key.substring(0, key.length() - ".key".length()))
            .filter(base -> files.containsKey(base + ".crt"))
            .toList();
        if (caddyNames.size() == 1)
            return pair(directory, Layout.CADDY, files.get(caddyNames.get(0) + ".crt"), files.get(caddyNames.get(0) + ".key"));
        if (caddyNames.size() > 1)
            throw new Unreadable(directory + ": holds several certificates (" + String.join(", ", caddyNames.stream().map(name -> name + ".crt").toList()) +
                "); list each file or directory as an entry of its own");

        // Any other names: decided by content, when there is exactly one of each.
        List<Path> keyFiles = new ArrayList<>();
        List<Path> certificateFiles = new ArrayList<>();
        for (Path file : files.values())
        {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (!(name.endsWith(".pem") || name.endsWith(".crt") || name.endsWith(".cer") || name.endsWith(".key")))
                continue;
            String text = new String(readBounded(file, file.toRealPath()), StandardCharsets.US_ASCII);
            if (text.contains("PRIVATE KEY-----"))
                keyFiles.add(file);
            else if (text.contains("-----BEGIN CERTIFICATE-----"))
                certificateFiles.add(file);
        }
        if (keyFiles.size() == 1 && certificateFiles.size() == 1)
            return pair(directory, Layout.PAIR, certificateFiles.get(0), keyFiles.get(0));
        throw new Unreadable(directory + ": no certificate and key found: " + LAYOUTS);
    }

    private static CertificateFiles pair(Path directory, Layout layout, Path certificate, Path key) throws IOException, Unreadable
    {
        Path certificateTarget = certificate.toRealPath();
        Path keyTarget = key.toRealPath();
        return new CertificateFiles(directory, layout, certificate, key, certificateTarget, keyTarget,
            readBounded(certificate, certificateTarget), readBounded(key, keyTarget), null);
    }

    private static byte[] readBounded(Path shown, Path target) throws Unreadable
    {
        try
        {
            long size = Files.size(target);
            if (size > MAX_FILE_SIZE)
                throw new Unreadable(shown + ": is " + size + " bytes, too large for a certificate or key file");
            // Read the target the link pointed at when resolved, so name and content agree.
            return Files.readAllBytes(target);
        }
        catch (NoSuchFileException e)
        {
            throw new Unreadable(shown + ": does not exist");
        }
        catch (IOException e)
        {
            throw new Unreadable(shown + ": cannot be read (" + reason(e) + ")");
        }
    }

    static String reason(IOException e)
    {
        if (e instanceof AccessDeniedException)
            return "permission denied";
        if (e instanceof NoSuchFileException)
            return "does not exist";
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static CertificateFiles failed(Path entry, String problem)
    {
        return new CertificateFiles(entry, Layout.NONE, null, null, null, null, null, null, problem);
    }

    /**
     * @return whether the key is in the certificate's file (PKCS12, combined PEM)
     */
    public boolean isSingleFile()
    {
        return layout == Layout.PKCS12 || layout == Layout.PEM;
    }

    /**
     * Adds what identifies this state of the entry to a digest: the files' real paths and contents,
     * or the problem.
     */
    void fingerprint(MessageDigest digest)
    {
        update(digest, entry.toString());
        update(digest, layout.name());
        update(digest, String.valueOf(problem));
        update(digest, String.valueOf(certificateTarget));
        update(digest, String.valueOf(keyTarget));
        if (certificateBytes != null)
            digest.update(certificateBytes);
        if (keyBytes != null && keyBytes != certificateBytes)
            digest.update(keyBytes);
    }

    private static void update(MessageDigest digest, String text)
    {
        digest.update(text.getBytes(StandardCharsets.UTF_8));
        digest.update((byte)0);
    }

    /**
     * @return a fingerprint of the current state of all entries, as read
     */
    static String fingerprint(List<CertificateFiles> entries)
    {
        try
        {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (CertificateFiles entry : entries)
                entry.fingerprint(digest);
            return HexFormat.of().formatHex(digest.digest());
        }
        catch (NoSuchAlgorithmException e)
        {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString()
    {
        if (problem != null)
            return entry + " (" + problem + ")";
        if (isSingleFile())
            return layout.description() + " " + entry;
        return layout.description() + " " + entry + " (" + certificateFile.getFileName() + " + " + keyFile.getFileName() + ")";
    }

    /**
     * A user-facing reason an entry cannot be read.
     */
    private static final class Unreadable extends Exception
    {
        Unreadable(String message)
        {
            super(message, null, false, false);
        }
    }
}
