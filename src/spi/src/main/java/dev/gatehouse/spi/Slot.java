package dev.gatehouse.spi;

/**
 * The positions of the handler chain, outermost first. The order is defined here, once, with the
 * reasons; plugins choose a slot and never insert themselves.
 *
 * <p>After the last slot come the host's own handlers: routing by host name, the WebSocket bridge
 * and the reverse proxy. Client identity (the real client address) is not a slot: it is a
 * connector customizer (see {@link Contributions#connectorCustomizers}), so it has already been
 * resolved when the first handler runs.</p>
 */
public enum Slot
{
    /**
     * Response headers (HSTS, CSP, ...). Outermost, so that it sees every response, including the
     * access gate's denials and the proxy's own 502/504 pages, and applies its headers when the
     * response commits, after the upstream's headers were copied.
     */
    RESPONSE_HEADERS,

    /**
     * The access gate. Before user plugins and the proxy, so that nothing reaches an upstream or a
     * user plugin before the request was admitted.
     */
    ACCESS,

    /**
     * Users' own plugins. They see admitted requests only, with the real client address, and their
     * responses still get the security headers.
     */
    USER
}
