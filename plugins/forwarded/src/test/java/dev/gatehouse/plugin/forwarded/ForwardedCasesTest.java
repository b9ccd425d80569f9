package dev.gatehouse.plugin.forwarded;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;
import dev.gatehouse.spi.Cidr;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cases of research/forwarded.md section 4 (file {@code forwarded-cases.txt}), each named by
 * its number there: the configuration is bound by the real binder, the resolver runs as a pure
 * function over (peer, header lines, settings), and the upstream headers are written by the same
 * code the upstream customizer uses.
 */
class ForwardedCasesTest
{
    static final Path CLOUDFLARE_FILE = Path.of("../../etc/gatehouse/cloudflare-ips.txt");
    private static final String REQUEST_HOST = "gatehouse.test";

    record Case(String id, String title, Map<String, String> config, String peer, String scheme, List<String[]> headers,
                Map<String, String> expectations, Map<String, String> upstream, List<String> upstreamAbsent)
    {
        @Override
        public String toString()
        {
            return id + " " + title;
        }
    }

    static List<Case> load() throws IOException
    {
        List<Case> cases = new ArrayList<>();
        try (InputStream in = ForwardedCasesTest.class.getResourceAsStream("/forwarded-cases.txt"))
        {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Case current = null;
            for (String line : text.split("\n", -1))
            {
                if (line.isBlank() || line.startsWith("#"))
                    continue;
                int space = line.indexOf(' ');
                String keyword = space < 0 ? line : line.substring(0, space);
                String rest = space < 0 ? "" : line.substring(space + 1);
                if (keyword.equals("case"))
                {
                    int idEnd = rest.indexOf(' ');
                    current = new Case(rest.substring(0, idEnd), rest.substring(idEnd + 1), new LinkedHashMap<>(), "127.0.0.1", "https",
                        new ArrayList<>(), new LinkedHashMap<>(), new LinkedHashMap<>(), new ArrayList<>());
                    cases.add(current);
                    continue;
                }
                if (current == null)
                    throw new IllegalStateException("no case before: " + line);
                switch (keyword)
                {
                    case "note" -> { }
                    case "config" ->
                    {
                        int equals = rest.indexOf('=');
                        current.config.put("gatehouse.forwarded." + rest.substring(0, equals), rest.substring(equals + 1));
                    }
                    case "peer" -> current = with(cases, current, rest, null);
                    case "scheme" -> current = with(cases, current, null, rest);
                    case "header" ->
                    {
                        int colon = rest.indexOf(':');
                        current.headers.add(new String[]{rest.substring(0, colon), rest.substring(colon + 1).strip()});
                    }
                    case "expect" ->
                    {
                        int split = rest.indexOf(' ');
                        current.expectations.put(split < 0 ? rest : rest.substring(0, split), split < 0 ? "" : rest.substring(split + 1));
                    }
                    case "upstream" ->
                    {
                        int colon = rest.indexOf(':');
                        current.upstream.put(rest.substring(0, colon), rest.substring(colon + 1).strip());
                    }
                    case "upstream-absent" -> current.upstreamAbsent.add(rest.strip());
                    default -> throw new IllegalStateException("unknown line in case " + current.id + ": " + line);
                }
            }
        }
        return cases;
    }

    private static Case with(List<Case> cases, Case current, String peer, String scheme)
    {
        Case replaced = new Case(current.id, current.title, current.config, peer != null ? peer : current.peer, scheme != null ? scheme : current.scheme,
            current.headers, current.expectations, current.upstream, current.upstreamAbsent);
        cases.set(cases.size() - 1, replaced);
        return replaced;
    }

    static Stream<Arguments> cases() throws IOException
    {
        return load().stream().map(c -> Arguments.of(c.id, c));
    }

    @Test
    void theTableHasAtLeastSixtyCasesWithUniqueIds() throws IOException
    {
        List<Case> cases = load();
        assertTrue(cases.size() >= 60, "cases: " + cases.size());
        assertEquals(cases.size(), cases.stream().map(Case::id).distinct().count(), "duplicate ids");
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("cases")
    void resolvesAsTheTableSays(String id, Case testCase) throws Exception
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        ForwardedConfig config = new ConfigBinder(testCase.config, Path.of("").toAbsolutePath(), problems).bind("gatehouse.forwarded.", ForwardedConfig.class);
        if (config != null)
            new ForwardedPlugin().validate(config, (key, message) -> problems.add("gatehouse.forwarded." + key, message));
        String configError = testCase.expectations.get("config-error");
        if (configError != null)
        {
            assertTrue(problems.list().stream().anyMatch(problem -> problem.contains(configError)), "expected a problem containing '" + configError + "', got " + problems.list());
            return;
        }
        assertTrue(problems.isEmpty(), problems.list().toString());

        List<Cidr> cloudflare = config.usesCloudflarePreset() ? CloudflareRanges.read(CLOUDFLARE_FILE) : List.of();
        ClientResolver resolver = new ClientResolver(ForwardedCustomizer.settings(config, cloudflare));
        HttpFields.Mutable headers = HttpFields.build();
        for (String[] header : testCase.headers)
            headers.add(new HttpField(header[0], header[1]));
        InetAddress peer = InetAddress.getByName(testCase.peer); // test data: literals only
        Resolution resolution = resolver.resolve(peer, 40000, headers);

        if (testCase.expectations.containsKey("untrusted"))
            assertNull(resolution, () -> "expected the request to be left alone, got " + resolution);
        else
            assertNotNull(resolution, "expected a trusted peer");

        InetAddress[] chain = resolution != null ? resolution.chain() : new InetAddress[]{Addresses.peer(peer)};
        String scheme = resolution != null && resolution.scheme() != null ? resolution.scheme() : testCase.scheme;
        String host = resolution != null && resolution.host() != null ? resolution.host() : REQUEST_HOST;
        int serverPort = resolution != null && resolution.port() > 0 ? resolution.port() : (scheme.equals("https") ? 443 : 80);

        for (Map.Entry<String, String> expectation : testCase.expectations.entrySet())
        {
            String expected = expectation.getValue();
            switch (expectation.getKey())
            {
                case "untrusted" -> { }
                case "client" -> assertEquals(expected, Addresses.format(chain[0]), "client");
                case "port" -> assertEquals(Integer.parseInt(expected), resolution.clientPort(), "client port");
                case "chain" -> assertEquals(expected, Arrays.stream(chain).map(Addresses::format).collect(Collectors.joining(", ")), "verified chain");
                case "scheme" -> assertEquals(expected, scheme, "scheme");
                case "host" -> assertEquals(expected, host, "host");
                case "server-port" -> assertEquals(Integer.parseInt(expected), serverPort, "server port");
                default -> throw new IllegalStateException("unknown expectation " + expectation.getKey());
            }
        }

        boolean defaultPort = serverPort == (scheme.equals("https") ? 443 : 80);
        String authority = defaultPort ? host : host + ":" + serverPort;
        HttpFields.Mutable upstream = HttpFields.build();
        UpstreamHeaders.apply(upstream, chain, config.getUpstreamXForwardedFor() == ForwardedConfig.UpstreamChain.CHAIN, config.isUpstreamForwarded(), scheme, authority);
        for (Map.Entry<String, String> expected : testCase.upstream.entrySet())
            assertEquals(List.of(expected.getValue()), upstream.getValuesList(expected.getKey()), "upstream " + expected.getKey());
        for (String absent : testCase.upstreamAbsent)
            assertNull(upstream.get(absent), "upstream " + absent);
        // Whatever the case, what goes upstream is our own canonical text.
        assertEquals(Addresses.format(chain[0]), upstream.get("X-Real-IP"));
        if (!config.isUpstreamForwarded())
            assertNull(upstream.get("Forwarded"));
    }
}
