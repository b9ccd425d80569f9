package dev.gatehouse.plugin.forwarded;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.gatehouse.core.config.ConfigBinder;
import dev.gatehouse.core.config.ConfigurationProblems;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an attacker can and cannot do with headers.
 */
class SpoofingTest
{
    /**
     * Every spelling of a private or local address we could think of.
     */
    static final List<String> PRIVATE_SPELLINGS = List.of(
        "10.0.0.5", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.5", "127.0.0.1", "127.1.2.3", "169.254.1.1",
        "100.64.0.1", "0.1.2.3", "240.0.0.1", "::ffff:10.0.0.5", "::FFFF:192.168.1.5", "::ffff:c0a8:105", "[::ffff:10.0.0.5]",
        "[::ffff:10.0.0.5]:443", "10.0.0.5:443", "::1", "[::1]", "[::1]:8080", "fc00::1", "fd12:3456::1", "FD00::1", "fe80::1",
        "::", "::a00:5", "64:ff9b::a00:5");

    /**
     * Values that must never be taken as an address.
     */
    static final List<String> MALFORMED = List.of(
        "010.0.0.5", "10.0.0.05", "127.1", "0x7f.0.0.1", "2130706433", "1.2.3.4.5", "1.2.3", "256.1.1.1", "1.2.3.4:0",
        "1.2.3.4:65536", "1.2.3.4:", "1.2.3.4:080", "fe80::1%eth0", "fe80::1%25eth0", "[fe80::1%1]", "2001:db8::1:443x",
        "[2001:db8::1", "2001:db8::1]", "[1.2.3.4]", "[1.2.3.4]:80", "localhost", "example.com", "unknown", "_hidden",
        "1.2.3.4 5.6.7.8", "1.2.3.4;5.6.7.8", "\"1.2.3.4\"", "0.0.0.0", "255.255.255.255", "224.0.0.1", "ff02::1",
        "::ffff:0.0.0.0", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::1", "x".repeat(100));

    private static ClientResolver resolver(Map<String, String> properties)
    {
        ConfigurationProblems problems = new ConfigurationProblems();
        Map<String, String> prefixed = new java.util.HashMap<>();
        properties.forEach((key, value) -> prefixed.put("gatehouse.forwarded." + key, value));
        ForwardedConfig config = new ConfigBinder(prefixed, java.nio.file.Path.of("").toAbsolutePath(), problems).bind("gatehouse.forwarded.", ForwardedConfig.class);
        assertTrue(problems.isEmpty(), problems.list().toString());
        try
        {
            return new ClientResolver(ForwardedCustomizer.settings(config, config.usesCloudflarePreset() ? CloudflareRanges.read(ForwardedCasesTest.CLOUDFLARE_FILE) : List.of()));
        }
        catch (java.io.IOException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static HttpFields headers(String... nameValues)
    {
        HttpFields.Mutable headers = HttpFields.build();
        for (int i = 0; i < nameValues.length; i += 2)
            headers.add(new HttpField(nameValues[i], nameValues[i + 1]));
        return headers;
    }

    static Stream<String> everyHeaderName()
    {
        return Stream.of("X-Forwarded-For", "Forwarded", "X-Real-IP", "CF-Connecting-IP", "CF-Connecting-IPv6", "True-Client-IP",
            "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port", "X_Forwarded_For", "x-forwarded-for");
    }

    @ParameterizedTest
    @MethodSource("everyHeaderName")
    void fromAnUntrustedPeerNoHeaderChangesAnything(String name) throws Exception
    {
        // Everything trusted except the peer, every header believed, all header modes.
        for (String mode : List.of("x-forwarded-for", "forwarded", "auto", "x-real-ip"))
        {
            ClientResolver resolver = resolver(Map.of("internal-proxies", "10.0.0.0/8,192.168.0.0/16,loopback", "trusted-proxies", "198.51.100.0/24",
                "cf-connecting-ip-from", "cloudflare,loopback", "header", mode, "accept-host", "true", "accept-port", "true"));
            for (String value : List.of("203.0.113.5", "for=203.0.113.5;proto=http;host=evil.example", "10.0.0.5", "http", "evil.example", "1"))
            {
                for (String peer : List.of("203.0.113.200", "172.16.0.1", "2001:db8::200", "fe80::1", "::ffff:203.0.113.200"))
                {
                    assertNull(resolver.resolve(InetAddress.getByName(peer), 1234, headers(name, value, name, value)),
                        mode + " peer " + peer + " " + name + ": " + value);
                }
            }
        }
    }

    @Test
    void aTrustedCdnCannotPresentAPrivateAddressInAnySpellingOrHeader() throws Exception
    {
        ClientResolver resolver = resolver(Map.of("trusted-proxies", "cloudflare", "cf-connecting-ip-from", "cloudflare", "header", "auto"));
        InetAddress edge = InetAddress.getByName("104.16.0.1");
        for (String spelling : PRIVATE_SPELLINGS)
        {
            String node = spelling.startsWith("[") || spelling.indexOf(':') < 0 ? spelling : "[" + spelling + "]";
            List<HttpFields> attempts = new ArrayList<>();
            attempts.add(headers("X-Forwarded-For", spelling));
            attempts.add(headers("X-Forwarded-For", "203.0.113.9, " + spelling));
            attempts.add(headers("Forwarded", "for=\"" + node + "\""));
            attempts.add(headers("CF-Connecting-IP", spelling));
            attempts.add(headers("CF-Connecting-IPv6", spelling, "CF-Connecting-IP", spelling));
            for (HttpFields attempt : attempts)
            {
                Resolution resolution = resolver.resolve(edge, 1234, attempt);
                assertNotNull(resolution);
                assertEquals("104.16.0.1", Addresses.format(resolution.client()), spelling + " via " + attempt);
            }
        }
    }

    @Test
    void anInternalProxyMayPresentPrivateAddressesButNotMalformedOnes() throws Exception
    {
        ClientResolver resolver = resolver(Map.of("internal-proxies", "loopback"));
        InetAddress peer = InetAddress.getByName("127.0.0.1");
        assertEquals("192.168.1.5", Addresses.format(resolver.resolve(peer, 1, headers("X-Forwarded-For", "192.168.1.5")).client()));
        for (String value : MALFORMED)
        {
            Resolution resolution = resolver.resolve(peer, 1, headers("X-Forwarded-For", "198.51.100.1, " + value));
            assertEquals("127.0.0.1", Addresses.format(resolution.client()), value);
            assertEquals(1, resolution.chain().length, value);
        }
    }

    @Test
    void theClientsOwnPartOfTheChainIsNeverBelieved() throws Exception
    {
        // Cloudflare appends the address it saw to whatever the client sent.
        ClientResolver resolver = resolver(Map.of("trusted-proxies", "cloudflare"));
        InetAddress edge = InetAddress.getByName("2606:4700::6810:1");
        for (String forged : List.of("10.0.0.1", "104.16.0.2", "127.0.0.1", "1.1.1.1", "2606:4700::1", "garbage"))
        {
            Resolution resolution = resolver.resolve(edge, 1, headers("X-Forwarded-For", forged + ", 203.0.113.77"));
            assertEquals("203.0.113.77", Addresses.format(resolution.client()), forged);
        }
        // Unless the client's left part is itself a Cloudflare edge: then it is a trusted hop
        // and the walk goes on to the left, which is why max-hops and public-only apply.
        Resolution throughEdge = resolver.resolve(edge, 1, headers("X-Forwarded-For", "10.0.0.1, 104.16.0.2"));
        assertEquals("104.16.0.2", Addresses.format(throughEdge.client()));
    }

    @Test
    void formatIsRfc5952() throws Exception
    {
        assertEquals("2001:db8::1", Addresses.format(InetAddress.getByName("2001:0db8:0:0:0:0:0:1")));
        assertEquals("2001:db8:0:1:1:1:1:1", Addresses.format(InetAddress.getByName("2001:db8:0:1:1:1:1:1")));
        assertEquals("2001:0:0:1::1", Addresses.format(InetAddress.getByName("2001:0:0:1:0:0:0:1")));
        assertEquals("2001:db8::1:0:0:1", Addresses.format(InetAddress.getByName("2001:db8:0:0:1:0:0:1")));
        assertEquals("::", Addresses.format(InetAddress.getByName("::")));
        assertEquals("::1", Addresses.format(InetAddress.getByName("::1")));
        assertEquals("fe80::", Addresses.format(InetAddress.getByName("FE80:0:0:0:0:0:0:0")));
        assertEquals("10.0.0.1", Addresses.format(InetAddress.getByName("::ffff:10.0.0.1")));
    }
}
