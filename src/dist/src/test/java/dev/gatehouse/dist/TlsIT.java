package dev.gatehouse.dist;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The assembled distribution refuses old protocols and suites without forward secrecy, which
 * jetty-home's ssl-context module alone would let through, checked with openssl as a client.
 * An RSA certificate, because the static-RSA suites need one to be negotiable at all.
 */
class TlsIT
{
    @Test
    void oldProtocolsAndStaticRsaSuitesAreRefused() throws Exception
    {
        try (Distribution distribution = Distribution.fromTarball())
        {
            Path keyStore = distribution.base().resolve("etc/rsa.p12");
            Distribution.Result generated = Distribution.run(distribution.base(), List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-keyalg", "RSA", "-keysize", "2048",
                "-alias", "rsa", "-dname", "CN=localhost", "-validity", "30", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", "rsa-secret", "-keypass", "rsa-secret"), Duration.ofSeconds(60));
            assertEquals(0, generated.exitCode(), generated.output());
            int port = Distribution.freePort();
            distribution.start(List.of(), "jetty.ssl.port=" + port, "gatehouse.upstream=http://127.0.0.1:9",
                "jetty.sslContext.keyStorePath=etc/rsa.p12", "jetty.sslContext.keyStorePassword=rsa-secret");

            // The control: a forward-secret suite over TLS 1.2 is accepted.
            Distribution.Result accepted = handshake(port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
            assertEquals(0, accepted.exitCode(), accepted.output());
            assertTrue(accepted.output().contains("ECDHE-RSA-AES128-GCM-SHA256"), accepted.output());

            for (List<String> refused : List.of(
                List.of("-tls1_2", "-cipher", "AES128-GCM-SHA256"),
                List.of("-tls1_2", "-cipher", "AES256-SHA256"),
                List.of("-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"),
                List.of("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"),
                List.of("-tls1", "-cipher", "DEFAULT@SECLEVEL=0")))
            {
                Distribution.Result result = handshake(port, refused.toArray(String[]::new));
                assertNotEquals(0, result.exitCode(), refused + " was accepted:\n" + result.output());
                // The refusal must be the server's, not openssl declining to offer it.
                assertTrue(!result.output().contains("no protocols available") && !result.output().contains("no ciphers available")
                    && !result.output().contains("no cipher match"), refused + " was not offered:\n" + result.output());
            }
        }
    }

    private static Distribution.Result handshake(int port, String... options) throws Exception
    {
        List<String> command = new ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "localhost", "-brief"));
        command.addAll(List.of(options));
        // s_client waits for input after the handshake; "Q" on a closed stdin ends it.
        // OPENSSL_CONF=/dev/null: Debian's system configuration raises the client's own minimum to
        // TLS 1.2, which would make the old-protocol attempts fail before they reach the server.
        List<String> shell = List.of("bash", "-c", "echo Q | OPENSSL_CONF=/dev/null " + String.join(" ", command.stream().map(TlsIT::quote).toList()));
        return Distribution.run(Path.of("."), shell, Duration.ofSeconds(30));
    }

    private static String quote(String argument)
    {
        return "'" + argument.replace("'", "'\\''") + "'";
    }
}
