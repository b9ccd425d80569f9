package dev.gatehouse.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A throwaway certificate authority for one test class, its certificate written as PEM for
 * {@code gatehouse.upstream.trust-store}. Registered as a static field, it is made before the
 * class's first test and its PEM deleted after the last:
 * <pre>
 * &#64;RegisterExtension
 * static final TestAuthority ca = new TestAuthority("Upstream Pool Test CA");
 * ...
 * StandInUpstream.tls(ca.issue("upstream.test", "127.0.0.1"), ...);
 * builder.property("gatehouse.upstream.trust-store", ca.pem().toString());
 * </pre>
 */
public final class TestAuthority implements BeforeAllCallback, AfterAllCallback
{
    private final String name;
    private TestCertificates.Authority authority;
    private Path directory;
    private Path pem;

    /**
     * @param name the authority's common name, shown in certificate errors
     */
    public TestAuthority(String name)
    {
        this.name = name;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException
    {
        authority = TestCertificates.newAuthority(name);
        directory = Files.createTempDirectory("gatehouse-test-ca-");
        pem = authority.writePem(directory.resolve("ca.pem"));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException
    {
        if (pem != null)
            Files.deleteIfExists(pem);
        if (directory != null)
            Files.deleteIfExists(directory);
    }

    /**
     * @return the authority, for what takes one (a second certificate, a PEM of one's own)
     */
    public TestCertificates.Authority authority()
    {
        if (authority == null)
            throw new IllegalStateException("TestAuthority \"" + name + "\" is made before a class's tests: register it with @RegisterExtension on a static field");
        return authority;
    }

    /**
     * @return the authority's certificate as a PEM file, for {@code gatehouse.upstream.trust-store}
     */
    public Path pem()
    {
        authority();
        return pem;
    }

    /**
     * @see TestCertificates.Authority#issue(String, String...)
     */
    public KeyStore issue(String commonName, String... names)
    {
        return authority().issue(commonName, names);
    }
}
