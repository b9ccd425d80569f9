package dev.gatehouse.plugin.gate;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import dev.gatehouse.spi.Cidr;
import dev.gatehouse.spi.IpLiterals;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Networks admitted by {@code remembered} rules: after a browser login (a verified token with an
 * email, admitted by an allow rule), the client's address (IPv4) or its /N network (IPv6) is
 * admitted for a while, so that the household's TV and phone apps, which cannot log in to
 * Cloudflare Access, work from there. Persisted as {@code <cidr> <expiry epoch seconds>} lines,
 * written to a temporary file and moved over the old one, so a crash never leaves half a file.
 *
 * <p>Only public unicast addresses are remembered. Loopback, private, link-local and CGNAT
 * addresses are refused: if the real client address was not resolved (no trusted-proxy
 * configuration for cloudflared), every request would seem to come from cloudflared's address,
 * and remembering it would open the gate to everyone.</p>
 */
public class RememberedNetworks extends AbstractLifeCycle
{
    private static final Logger LOG = LoggerFactory.getLogger(RememberedNetworks.class);
    private static final List<Cidr> NEVER = List.of(Cidr.parse("0.0.0.0/8"), Cidr.parse("10.0.0.0/8"), Cidr.parse("100.64.0.0/10"),
        Cidr.parse("127.0.0.0/8"), Cidr.parse("169.254.0.0/16"), Cidr.parse("172.16.0.0/12"), Cidr.parse("192.168.0.0/16"),
        Cidr.parse("224.0.0.0/3"), Cidr.parse("::/8"), Cidr.parse("fc00::/7"), Cidr.parse("fe80::/10"), Cidr.parse("ff00::/8"));
    /** An existing entry is rewritten to disk only when its expiry moved by more than this. */
    private static final long REWRITE_AFTER_SECONDS = 3600;

    private final java.util.function.Supplier<Path> fileSupplier;
    private volatile Path file;
    private final long forSeconds;
    private final int ipv6Prefix;
    private final int maxEntries;
    private final LongSupplier clockMillis;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private record Entry(Cidr network, long expiresAtSeconds)
    {
    }

    public RememberedNetworks(java.util.function.Supplier<Path> file, long forSeconds, int ipv6Prefix, int maxEntries, LongSupplier clockMillis)
    {
        this.fileSupplier = file;
        this.forSeconds = forSeconds;
        this.ipv6Prefix = ipv6Prefix;
        this.maxEntries = maxEntries;
        this.clockMillis = clockMillis;
    }

    @Override
    protected void doStart() throws Exception
    {
        file = fileSupplier.get();
        load();
        super.doStart();
    }

    private synchronized void load() throws IOException
    {
        entries.clear();
        if (!Files.exists(file))
            return;
        long now = clockMillis.getAsLong() / 1000;
        int lineNumber = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8))
        {
            lineNumber++;
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#"))
                continue;
            String[] parts = text.split("\\s+");
            try
            {
                Cidr network = Cidr.parse(parts[0]);
                long expires = Long.parseLong(parts[1]);
                if (expires > now)
                    entries.put(network.toString(), new Entry(network, expires));
            }
            catch (RuntimeException e)
            {
                LOG.warn("gate: ignoring line {} of {}: not '<network> <expiry>'", lineNumber, file);
            }
        }
        LOG.info("gate: {} remembered networks from {}", entries.size(), file);
    }

    synchronized boolean contains(InetAddress address)
    {
        if (address == null)
            return false;
        InetAddress normal = IpLiterals.normalize(address);
        long now = clockMillis.getAsLong() / 1000;
        for (Entry entry : entries.values())
        {
            if (entry.expiresAtSeconds() > now && entry.network().contains(normal))
                return true;
        }
        return false;
    }

    /**
     * Remembers the client's network after a browser login.
     *
     * @return whether it is remembered now (false for addresses that are never remembered)
     */
    boolean remember(InetAddress address)
    {
        if (address == null)
            return false;
        InetAddress normal = IpLiterals.normalize(address);
        if (NEVER.stream().anyMatch(block -> block.contains(normal)))
        {
            LOG.debug("gate: not remembering {}: not a public address", normal.getHostAddress());
            return false;
        }
        Cidr network = normal instanceof Inet4Address ? Cidr.parse(normal.getHostAddress() + "/32") : Cidr.parse(prefix(normal) + "/" + ipv6Prefix);
        long now = clockMillis.getAsLong() / 1000;
        long expires = now + forSeconds;
        List<String> snapshot;
        synchronized (this)
        {
            Entry old = entries.get(network.toString());
            if (old != null && expires - old.expiresAtSeconds() < REWRITE_AFTER_SECONDS)
                return true;
            entries.remove(network.toString());
            entries.put(network.toString(), new Entry(network, expires));
            entries.values().removeIf(entry -> entry.expiresAtSeconds() <= now);
            while (entries.size() > maxEntries)
            {
                String oldest = entries.values().stream().min(Comparator.comparingLong(Entry::expiresAtSeconds)).map(entry -> entry.network().toString()).orElseThrow();
                entries.remove(oldest);
            }
            snapshot = new ArrayList<>();
            for (Entry entry : entries.values())
                snapshot.add(entry.network() + " " + entry.expiresAtSeconds());
            if (old == null)
                LOG.info("gate: remembering network {} for {} s after a browser login", network, forSeconds);
            write(snapshot);
        }
        return true;
    }

    private String prefix(InetAddress address)
    {
        byte[] bytes = address.getAddress();
        for (int bit = ipv6Prefix; bit < 128; bit++)
            bytes[bit / 8] &= (byte)~(0x80 >>> (bit % 8));
        try
        {
            return InetAddress.getByAddress(bytes).getHostAddress();
        }
        catch (java.net.UnknownHostException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private void write(List<String> lines)
    {
        try
        {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path temporary = Files.createTempFile(file.toAbsolutePath().getParent(), ".gate-remembered", ".tmp");
            try
            {
                StringBuilder text = new StringBuilder("# Networks remembered by the gate after a browser login: <network> <expiry, seconds since 1970>\n");
                lines.forEach(line -> text.append(line).append('\n'));
                Files.write(temporary, text.toString().getBytes(StandardCharsets.UTF_8));
                try (var channel = java.nio.channels.FileChannel.open(temporary, StandardOpenOption.WRITE))
                {
                    channel.force(true);
                }
                try
                {
                    Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
                catch (AtomicMoveNotSupportedException e)
                {
                    Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            finally
            {
                Files.deleteIfExists(temporary);
            }
        }
        catch (IOException e)
        {
            LOG.warn("gate: cannot save the remembered networks to {}: {}", file, e.toString());
        }
    }

    synchronized int size()
    {
        return entries.size();
    }
}
