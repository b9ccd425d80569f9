package dev.gatehouse.plugin.gate;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.nimbusds.jose.util.JSONObjectUtils;
import org.junit.jupiter.api.Assumptions;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Keys and tokens minted by {@code src/test/node/mint.mjs} with panva/jose and node:crypto: a
 * JOSE implementation independent of nimbus, which the gate uses to verify. Minted once per test
 * JVM. Without node or the npm package the tests are skipped with a hint, unless
 * {@code GATEHOUSE_REQUIRE_NODE=1} (CI), which makes that a failure.
 */
final class Minted
{
    static final String TEAM = "myteam";
    static final String ISSUER = "https://" + TEAM + ".cloudflareaccess.com";
    static final String AUDIENCE = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";
    static final Path DIRECTORY = Path.of("src/test/node").toAbsolutePath();
    static final String INSTALL_HINT = "(cd plugins/gate/src/test/node && npm ci --ignore-scripts --no-audit --no-fund)";

    private static Minted instance;

    final long now;
    final String jwks;
    final String jwksRotated;
    final String jwksWithoutA;
    final Map<String, String> tokens;

    private Minted(long now, String jwks, String jwksRotated, String jwksWithoutA, Map<String, String> tokens)
    {
        this.now = now;
        this.jwks = jwks;
        this.jwksRotated = jwksRotated;
        this.jwksWithoutA = jwksWithoutA;
        this.tokens = tokens;
    }

    String token(String name)
    {
        String token = tokens.get(name);
        if (token == null)
            throw new IllegalArgumentException("mint.mjs made no token '" + name + "'");
        return token;
    }

    static synchronized Minted get() throws Exception
    {
        if (instance == null)
            instance = mint();
        return instance;
    }

    @SuppressWarnings("unchecked")
    private static Minted mint() throws Exception
    {
        if (!onPath("node") || !Files.isDirectory(DIRECTORY.resolve("node_modules/jose")))
        {
            String message = "node and the npm package jose are needed to mint test tokens: " + INSTALL_HINT;
            if ("1".equals(System.getenv("GATEHOUSE_REQUIRE_NODE")))
                fail(message);
            Assumptions.abort(message);
        }
        Process process = new ProcessBuilder("node", "mint.mjs", ISSUER, AUDIENCE).directory(DIRECTORY.toFile()).redirectErrorStream(false).start();
        process.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() ->
        {
            try (var in = process.getInputStream())
            {
                in.transferTo(out);
            }
            catch (java.io.IOException ignored)
            {
                // ended
            }
        });
        reader.start();
        if (!process.waitFor(60, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            fail("mint.mjs did not finish in 60 s");
        }
        reader.join(5000);
        if (process.exitValue() != 0)
            fail("mint.mjs failed: " + new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        Map<String, Object> json = JSONObjectUtils.parse(out.toString(StandardCharsets.UTF_8), 10 << 20);
        Map<String, String> tokens = new LinkedHashMap<>();
        ((Map<String, Object>)json.get("tokens")).forEach((name, value) -> tokens.put(name, (String)value));
        return new Minted(((Number)json.get("now")).longValue(),
            JSONObjectUtils.toJSONString((Map<String, Object>)json.get("jwks")),
            JSONObjectUtils.toJSONString((Map<String, Object>)json.get("jwksRotated")),
            JSONObjectUtils.toJSONString((Map<String, Object>)json.get("jwksWithoutA")),
            tokens);
    }

    private static boolean onPath(String command)
    {
        String path = System.getenv("PATH");
        return path != null && List.of(path.split(File.pathSeparator)).stream().anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }
}
