package dev.gatehouse.tls;

import dev.gatehouse.core.config.InvalidConfigurationException;
import dev.gatehouse.core.tls.curves.FastCurves;
import dev.gatehouse.testkit.GatehouseHarness;
import dev.gatehouse.testkit.StandInUpstream;
import dev.gatehouse.testkit.TestCertificates;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code gatehouse.tls.fast-curves} on a running Gatehouse: by default the handshakes of its HTTPS
 * listener (P-256 certificate) and of its TLS upstream client take the BouncyCastle-backed
 * provider; {@code false} takes it out of the JVM and the same handshakes work on the JDK's own.
 */
class FastCurvesWiringTest
{
    private static boolean installedBefore;

    @BeforeAll
    static void remember()
    {
        installedBefore = FastCurves.isInstalled();
    }

    @AfterAll
    static void restore()
    {
        FastCurves.apply(installedBefore);
    }

    @Test
    void handshakesTakeItByDefaultAndTheJdksOwnWhenTurnedOff() throws Exception
    {
        TestCertificates.Authority authority = TestCertificates.newAuthority("Fast Curves Test CA");
        try (StandInUpstream upstream = StandInUpstream.tls(authority.issue("127.0.0.1", "127.0.0.1"), false))
        {
            java.nio.file.Path trustStore = java.nio.file.Files.createTempFile("fast-curves-ca", ".pem");
            try
            {
                TestCertificates.writePem(trustStore, authority.certificate());
                for (boolean enabled : new boolean[]{true, false})
                {
                    try (GatehouseHarness gatehouse = GatehouseHarness.builder()
                        .upstream(upstream.uri())
                        .property("gatehouse.upstream.trust-store", trustStore.toString())
                        // The JDK's TLS on both sides (the harness's listener default): Conscrypt's
                        // handshakes use BoringSSL's arithmetic, not the JDK's.
                        .property("gatehouse.upstream.tls-provider", "jdk")
                        .property("gatehouse.tls.fast-curves", Boolean.toString(enabled))
                        .start())
                    {
                        assertEquals(enabled, FastCurves.isInstalled());
                        FastCurves.Usage before = FastCurves.usage();
                        HttpClient client = gatehouse.http1();
                        ContentResponse response = client.GET(gatehouse.uri("/hello"));
                        assertEquals(200, response.getStatus(), response.getContentAsString());
                        FastCurves.Usage after = FastCurves.usage();
                        if (enabled)
                        {
                            // The front signs once; client, front, upstream client and stand-in agree once each.
                            assertTrue(after.p256Signatures() - before.p256Signatures() >= 1, before + " -> " + after);
                            assertTrue(after.x25519Agreements() - before.x25519Agreements() >= 4, before + " -> " + after);
                        }
                        else
                        {
                            assertEquals(before, after);
                        }
                    }
                }
            }
            finally
            {
                java.nio.file.Files.deleteIfExists(trustStore);
            }
        }
    }

    @Test
    void aValueThatIsNotABooleanIsRefusedByName()
    {
        InvalidConfigurationException failure = assertThrows(InvalidConfigurationException.class, () -> GatehouseHarness.builder()
            .property("gatehouse.tls.fast-curves", "yes please")
            .start());
        assertTrue(failure.getMessage().contains("gatehouse.tls.fast-curves: 'yes please' is not valid: expected true or false"), failure.getMessage());
        assertFalse(failure.getMessage().contains("Exception"), failure.getMessage());
    }
}
