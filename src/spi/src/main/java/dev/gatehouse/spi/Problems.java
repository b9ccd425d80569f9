package dev.gatehouse.spi;

/**
 * Where a plugin reports configuration problems. Report all of them: the host collects the
 * problems of every plugin and fails start-up once, with a numbered list.
 */
public interface Problems
{
    /**
     * @param key the key below the plugin's prefix, e.g. {@code "trusted-proxies"}; the host adds
     * the prefix
     * @param message what is wrong and, where possible, what to write instead
     */
    void report(String key, String message);
}
