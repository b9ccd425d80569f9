package dev.gatehouse.core.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.gatehouse.core.CoreConfig;
import dev.gatehouse.spi.Cidr;
import dev.gatehouse.spi.Config;
import dev.gatehouse.spi.DataSize;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pins the binder's parsing, defaults and every message a user can get from it.
 */
class ConfigBinderTest
{
    private static final Path BASE = Path.of("/srv/gatehouse");

    public enum Mode
    {
        FAST, VERY_SAFE
    }

    public static class SampleConfig
    {
        private String name = "default-name";
        private int count = 3;
        private long big = 5L;
        private boolean enabled = true;
        private Duration timeout = Duration.ofSeconds(30);
        private DataSize size = DataSize.parse("64KiB");
        private URI target = URI.create("http://127.0.0.1:32400");
        private Path file = Path.of("/srv/gatehouse/etc/x");
        private Mode mode = Mode.FAST;
        private List<Cidr> networks = List.of();
        private List<String> names = List.of("a");
        private String password = "";
        private String teamName;

        public String getName() { return name; }
        @Config("name") public void setName(String name) { this.name = name; }
        public int getCount() { return count; }
        @Config("count") public void setCount(int count)
        {
            if (count < 1)
                throw new IllegalArgumentException("must be at least 1");
            this.count = count;
        }
        public long getBig() { return big; }
        @Config("big") public void setBig(long big) { this.big = big; }
        public boolean isEnabled() { return enabled; }
        @Config("enabled") public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public Duration getTimeout() { return timeout; }
        @Config("timeout") public void setTimeout(Duration timeout) { this.timeout = timeout; }
        public DataSize getSize() { return size; }
        @Config("size") public void setSize(DataSize size) { this.size = size; }
        public URI getTarget() { return target; }
        @Config("target") public void setTarget(URI target) { this.target = target; }
        public Path getFile() { return file; }
        @Config("file") public void setFile(Path file) { this.file = file; }
        public Mode getMode() { return mode; }
        @Config("mode") public void setMode(Mode mode) { this.mode = mode; }
        public List<Cidr> getNetworks() { return networks; }
        @Config("networks") public void setNetworks(List<Cidr> networks) { this.networks = networks; }
        public List<String> getNames() { return names; }
        @Config("names") public void setNames(List<String> names) { this.names = names; }
        public String getPassword() { return password; }
        @Config(value = "password", secret = true) public void setPassword(String password) { this.password = password; }
        public String getTeamName() { return teamName; }
        @Config(value = "team-name", required = true, description = "the Cloudflare Access team") public void setTeamName(String teamName) { this.teamName = teamName; }
    }

    private static List<String> problems(Map<String, String> properties)
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        ConfigBinder binder = new ConfigBinder(properties, BASE, problems);
        binder.bind("gatehouse.sample.", SampleConfig.class);
        binder.reportUnknownKeys(Set.of("sample"), Set.of());
        return problems.list();
    }

    private static SampleConfig bind(Map<String, String> properties)
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        SampleConfig config = new ConfigBinder(properties, BASE, problems).bind("gatehouse.sample.", SampleConfig.class);
        assertEquals(List.of(), problems.list());
        return config;
    }

    @Test
    void everyTypeIsParsed()
    {
        SampleConfig config = bind(Map.ofEntries(
            Map.entry("gatehouse.sample.team-name", "acme"),
            Map.entry("gatehouse.sample.name", "  spaced  "),
            Map.entry("gatehouse.sample.count", "7"),
            Map.entry("gatehouse.sample.big", "9000000000"),
            Map.entry("gatehouse.sample.enabled", "false"),
            Map.entry("gatehouse.sample.timeout", "10m"),
            Map.entry("gatehouse.sample.size", "16MiB"),
            Map.entry("gatehouse.sample.target", "https://10.0.0.5:32400"),
            Map.entry("gatehouse.sample.file", "etc/trust.pem"),
            Map.entry("gatehouse.sample.mode", "very-safe"),
            Map.entry("gatehouse.sample.networks", "10.0.0.0/8, fd00::/8,192.168.1.7"),
            Map.entry("gatehouse.sample.names", "a,b , c")));
        assertEquals("spaced", config.getName());
        assertEquals(7, config.getCount());
        assertEquals(9_000_000_000L, config.getBig());
        assertEquals(false, config.isEnabled());
        assertEquals(Duration.ofMinutes(10), config.getTimeout());
        assertEquals(16L << 20, config.getSize().toBytes());
        assertEquals(URI.create("https://10.0.0.5:32400"), config.getTarget());
        assertEquals(Path.of("/srv/gatehouse/etc/trust.pem"), config.getFile());
        assertEquals(Mode.VERY_SAFE, config.getMode());
        assertEquals("[10.0.0.0/8, fd00:0:0:0:0:0:0:0/8, 192.168.1.7/32]", config.getNetworks().toString());
        assertEquals(List.of("a", "b", "c"), config.getNames());
    }

    @Test
    void durationsInEveryUnit()
    {
        assertEquals(Duration.ofMillis(500), ValueParsers.parseDuration("500ms"));
        assertEquals(Duration.ofSeconds(30), ValueParsers.parseDuration("30s"));
        assertEquals(Duration.ofHours(2), ValueParsers.parseDuration("2h"));
        assertEquals(Duration.ofDays(7), ValueParsers.parseDuration("7d"));
        assertEquals("15m", ValueParsers.formatDuration(Duration.ofMinutes(15)));
        assertEquals("1500ms", ValueParsers.formatDuration(Duration.ofMillis(1500)));
    }

    @Test
    void badValuesAreReportedWithKeyValueAndExpectation()
    {
        assertEquals(List.of(
            "gatehouse.sample.big: 'lots' is not valid: expected a whole number",
            "gatehouse.sample.count: '0' is not valid: must be at least 1",
            "gatehouse.sample.enabled: 'yes' is not valid: expected true or false",
            "gatehouse.sample.file: '' is not valid: expected a file or directory path",
            "gatehouse.sample.mode: 'slow' is not valid: expected one of: fast, very-safe",
            "gatehouse.sample.names: 'a,,b' is not valid: empty element in the comma-separated list",
            "gatehouse.sample.networks: '10.0.0.1/8' is not valid: '10.0.0.1/8' has host bits set; did you mean 10.0.0.0/8?",
            "gatehouse.sample.size: '64 parsecs' is not valid: unknown unit 'parsecs': use B, KiB, MiB, GiB, TiB (or kB, MB, GB, TB)",
            "gatehouse.sample.target: 'example.com' is not valid: expected an absolute URI such as http://127.0.0.1:32400",
            "gatehouse.sample.team-name: required but not set (the Cloudflare Access team)",
            "gatehouse.sample.timeout: '10 minutes' is not valid: expected a duration such as 500ms, 30s, 10m, 2h or 7d"),
            problems(Map.of(
                "gatehouse.sample.big", "lots",
                "gatehouse.sample.count", "0",
                "gatehouse.sample.enabled", "yes",
                "gatehouse.sample.file", "",
                "gatehouse.sample.mode", "slow",
                "gatehouse.sample.names", "a,,b",
                "gatehouse.sample.networks", "10.0.0.1/8",
                "gatehouse.sample.size", "64 parsecs",
                "gatehouse.sample.target", "example.com",
                "gatehouse.sample.timeout", "10 minutes")));
    }

    @Test
    void badCidrs()
    {
        assertEquals(List.of("gatehouse.sample.networks: 'fd00::/8,300.1.1.1' is not valid: expected an address block such as 10.0.0.0/8 or fd00::/8, got '300.1.1.1'",
                "gatehouse.sample.team-name: required but not set (the Cloudflare Access team)"),
            problems(Map.of("gatehouse.sample.networks", "fd00::/8,300.1.1.1")));
        assertEquals("bad prefix length in '10.0.0.0/08'", assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/08")).getMessage());
        assertEquals("prefix length out of range (0-32) in '10.0.0.0/33'", assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/33")).getMessage());
        assertEquals("expected an address block such as 10.0.0.0/8 or fd00::/8, got 'example.com/8'", assertThrows(IllegalArgumentException.class, () -> Cidr.parse("example.com/8")).getMessage());
        assertEquals("expected an address block such as 10.0.0.0/8 or fd00::/8, got 'fe80::1%eth0'", assertThrows(IllegalArgumentException.class, () -> Cidr.parse("fe80::1%eth0")).getMessage());
        assertEquals("expected an address block such as 10.0.0.0/8 or fd00::/8, got '010.0.0.0/8'", assertThrows(IllegalArgumentException.class, () -> Cidr.parse("010.0.0.0/8")).getMessage());
    }

    @Test
    void secretsAreMaskedInMessagesAndInTheEffectiveConfiguration()
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        ConfigBinder binder = new ConfigBinder(Map.of("gatehouse.sample.password", "hunter2", "gatehouse.sample.team-name", "acme"), BASE, problems);
        binder.bind("gatehouse.sample.", SampleConfig.class);
        assertTrue(binder.effectiveConfiguration().contains("gatehouse.sample.password = ********"));
        assertTrue(binder.effectiveConfiguration().stream().noneMatch(line -> line.contains("hunter2")));
    }

    @Test
    void unknownKeysGetASuggestionOrAReason()
    {
        assertEquals(List.of(
            "gatehouse.gate.team: unknown property: no enabled plugin has the id 'gate' (is its module enabled? --add-modules=gatehouse-gate)",
            "gatehouse.sample.timout: unknown property; did you mean gatehouse.sample.timeout?",
            "gatehouse.sample.zzz: unknown property"),
            problems(Map.of("gatehouse.sample.team-name", "acme", "gatehouse.sample.timout", "1s", "gatehouse.gate.team", "x", "gatehouse.sample.zzz", "1", "jetty.ssl.port", "8443")));
    }

    @Test
    void allProblemsFailOnceAsANumberedList()
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        problems.add("gatehouse.a", "first");
        problems.add("gatehouse.b", "second");
        InvalidConfigurationException failure = assertThrows(InvalidConfigurationException.class, problems::throwIfAny);
        assertEquals("Gatehouse cannot start: 2 configuration problems" + System.lineSeparator() +
            "  1. gatehouse.a: first" + System.lineSeparator() +
            "  2. gatehouse.b: second", failure.getMessage());
    }

    @Test
    void coreDefaultsArePinned()
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        ConfigBinder binder = new ConfigBinder(Map.of(), BASE, problems);
        binder.bind(ConfigBinder.NAMESPACE, CoreConfig.class);
        assertEquals(List.of(), problems.list());
        assertEquals(List.of(
            "gatehouse.apps.directory = webapps",
            "gatehouse.apps.drain-timeout = 1h",
            "gatehouse.apps.scan-interval = 1s",
            "gatehouse.client.idle-timeout = 15m",
            "gatehouse.hosts = ",
            "gatehouse.redirect.host = ",
            "gatehouse.redirect.port = 0",
            "gatehouse.tls.certificates = ",
            "gatehouse.tls.certificates-password = (not set)", "gatehouse.tls.fast-curves = true",
            "gatehouse.tls.provider = auto",
            "gatehouse.tls.scan-interval = 5s",
            "gatehouse.tls.self-signed = true",
            "gatehouse.tunnel.host = 127.0.0.1",
            "gatehouse.tunnel.port = 0",
            "gatehouse.upstream = http://127.0.0.1:32400",
            "gatehouse.upstream.connect-timeout = 5s",
            "gatehouse.upstream.idle-timeout = 15m",
            "gatehouse.upstream.max-connections = 256",
            "gatehouse.upstream.protocol = http1",
            "gatehouse.upstream.response-timeout = 1m",
            "gatehouse.upstream.tls-provider = auto",
            "gatehouse.upstream.trust-store = ",
            "gatehouse.upstream.trust-store-password = (not set)",
            "gatehouse.via = gatehouse",
            "gatehouse.websocket.idle-timeout = 1h",
            "gatehouse.websocket.max-frame-size = 64KiB",
            "gatehouse.websocket.max-message-size = 16MiB"), binder.effectiveConfiguration());
    }

    @Test
    void upstreamConnectionsAreBoundedByTheTcpPorts()
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        new ConfigBinder(Map.of("gatehouse.upstream.max-connections", "65536"), BASE, problems).bind(ConfigBinder.NAMESPACE, CoreConfig.class);
        assertEquals(List.of("gatehouse.upstream.max-connections: '65536' is not valid: must be at most 65535 (the TCP ports one address has)"), problems.list());

        ConfigurationProblems none = new ConfigurationProblems();
        new ConfigBinder(Map.of("gatehouse.upstream.max-connections", "65535"), BASE, none).bind(ConfigBinder.NAMESPACE, CoreConfig.class);
        assertEquals(List.of(), none.list());
    }

    @Test
    void coreValuesAreChecked()
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        new ConfigBinder(Map.of(
            "gatehouse.upstream", "ftp://10.0.0.1",
            "gatehouse.upstream.max-connections", "0",
            "gatehouse.upstream.idle-timeout", "0s",
            "gatehouse.redirect.port", "70000",
            "gatehouse.via", "my host"), BASE, problems).bind(ConfigBinder.NAMESPACE, CoreConfig.class);
        assertEquals(List.of(
            "gatehouse.redirect.port: '70000' is not valid: a port is 0 (off) or 1-65535",
            "gatehouse.upstream: 'ftp://10.0.0.1' is not valid: the upstream must be an http:// or https:// URI",
            "gatehouse.upstream.idle-timeout: '0s' is not valid: must be longer than zero",
            "gatehouse.upstream.max-connections: '0' is not valid: must be at least 1",
            "gatehouse.via: 'my host' is not valid: use letters, digits, '.', '_' or '-' only"), problems.list());
    }
}
