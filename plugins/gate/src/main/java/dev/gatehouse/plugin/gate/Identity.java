package dev.gatehouse.plugin.gate;

import java.util.List;

/**
 * What a verified token says about its bearer; the only source of the identity headers sent
 * upstream.
 *
 * @param email the {@code email} claim, or null (service tokens have none)
 * @param subject the {@code sub} claim, or null
 * @param commonName the {@code common_name} claim of a Cloudflare service token, or null
 * @param groups the groups claim's values, possibly empty
 * @param expiresAtSeconds the {@code exp} claim, in seconds since the epoch
 */
record Identity(String email, String subject, String commonName, List<String> groups, long expiresAtSeconds)
{
    /**
     * @return the name the upstream is told: the email, else the service token's common name,
     * else the subject
     */
    String user()
    {
        if (email != null)
            return email;
        if (commonName != null)
            return commonName;
        return subject;
    }
}
