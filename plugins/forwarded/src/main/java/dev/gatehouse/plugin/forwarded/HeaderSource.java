package dev.gatehouse.plugin.forwarded;

/**
 * Which request header carries the chain of client and proxies.
 */
public enum HeaderSource
{
    /**
     * {@code X-Forwarded-For}, every field line, walked right to left.
     */
    X_FORWARDED_FOR,
    /**
     * RFC 7239 {@code Forwarded}, every field line, the {@code for} of each element right to left.
     */
    FORWARDED,
    /**
     * The one of the two that arrived; when both arrive, both are walked and must name the same
     * client, otherwise neither is believed and the client is the peer.
     */
    AUTO,
    /**
     * {@code X-Real-IP}: exactly one field line holding one address (nginx's convention).
     */
    X_REAL_IP
}
