package dev.gatehouse.plugin.securityheaders;

/**
 * A starting policy per app. The CSP sources of {@link #PLEX} follow the Plex forum guide's header
 * set (see research plex.md section 1.2), widened where the guide pinned things that break: any
 * port on {@code *.plex.direct} (remote access need not use 32400) and blob: workers. Inline
 * scripts and styles are allowed by their SHA-256 hashes, computed from the upstream's HTML, never
 * by {@code 'unsafe-inline'} in script-src.
 *
 * <p>Cross-origin isolation headers are set only where they cannot break media: app.plex.tv and
 * Cast receivers load images and streams from the server cross-origin (a CORP of same-origin would
 * block them), and COEP require-corp would block plex.tv artwork that carries no CORP header.</p>
 */
public enum Preset
{
    PLEX(ContentSecurityPolicy.builder()
        .directive("default-src", "'none'")
        .directive("script-src", "'self' 'unsafe-eval' 'report-sample' https://www.gstatic.com")
        .directive("style-src", "'self' 'report-sample' https://fonts.googleapis.com")
        .directive("font-src", "'self' data: https://fonts.gstatic.com")
        .directive("connect-src", "'self' https://*.plex.direct:* wss://*.plex.direct:* https://plex.tv https://*.plex.tv wss://*.plex.tv")
        .directive("img-src", "'self' data: blob: https://plex.tv https://*.plex.tv https://*.plex.direct:*")
        .directive("media-src", "'self' data: blob: https://*.plex.direct:*")
        .directive("frame-src", "'self' https://*.plex.direct:*")
        .directive("worker-src", "'self' blob:")
        .directive("manifest-src", "'self'")
        .directive("object-src", "'none'")
        .directive("base-uri", "'self'")
        .directive("form-action", "'self'")
        .directive("frame-ancestors", "'none'")
        .directive("upgrade-insecure-requests", "")
        .build(),
        "strict-origin-when-cross-origin",
        AppDefaults.PERMISSIONS_MEDIA_APP,
        "same-origin-allow-popups", null, null, InlineFallback.UNSAFE_INLINE),

    /**
     * After the Jellyfin documentation's reverse-proxy CSP: jellyfin-web styles elements through
     * {@code style} attributes, so style-src keeps {@code 'unsafe-inline'} (hashes would switch it
     * off); YouTube for trailers, gstatic for Cast.
     */
    JELLYFIN(ContentSecurityPolicy.builder()
        .directive("default-src", "'none'")
        .directive("script-src", "'self' 'report-sample' https://www.gstatic.com https://www.youtube.com blob:")
        .directive("style-src", "'self' 'unsafe-inline'")
        .directive("font-src", "'self' data:")
        .directive("connect-src", "'self'")
        .directive("img-src", "'self' data: blob: https:")
        .directive("media-src", "'self' data: blob:")
        .directive("frame-src", "'self' https://www.youtube.com")
        .directive("worker-src", "'self' blob:")
        .directive("manifest-src", "'self'")
        .directive("object-src", "'none'")
        .directive("base-uri", "'self'")
        .directive("form-action", "'self'")
        .directive("frame-ancestors", "'self'")
        .directive("upgrade-insecure-requests", "")
        .build(),
        "strict-origin-when-cross-origin",
        AppDefaults.PERMISSIONS_MEDIA_APP,
        "same-origin-allow-popups", null, null, InlineFallback.UNSAFE_INLINE),

    /**
     * Home Assistant's frontend: Lit components with inline styles, map tiles and brand images
     * from the internet, iframe panels, and the microphone (Assist), camera (QR codes) and
     * location (onboarding) for its own origin.
     */
    HOME_ASSISTANT(ContentSecurityPolicy.builder()
        .directive("default-src", "'none'")
        .directive("script-src", "'self' 'report-sample'")
        .directive("style-src", "'self' 'unsafe-inline'")
        .directive("font-src", "'self' data:")
        .directive("connect-src", "'self' https://brands.home-assistant.io https://*.home-assistant.io")
        .directive("img-src", "'self' data: blob: https:")
        .directive("media-src", "'self' data: blob: https:")
        .directive("frame-src", "'self' https:")
        .directive("worker-src", "'self' blob:")
        .directive("manifest-src", "'self'")
        .directive("object-src", "'none'")
        .directive("base-uri", "'self'")
        .directive("form-action", "'self'")
        .directive("frame-ancestors", "'self'")
        .directive("upgrade-insecure-requests", "")
        .build(),
        "strict-origin-when-cross-origin",
        "accelerometer=(), camera=(self), geolocation=(self), gyroscope=(), magnetometer=(), microphone=(self), midi=(), payment=(), usb=(), serial=(), hid=(), browsing-topics=()",
        "same-origin-allow-popups", null, null, InlineFallback.UNSAFE_INLINE),

    /**
     * For static sites and apps written for CSP: nothing unsafe, same-origin everything,
     * cross-origin isolated. Scores A+ on the MDN HTTP Observatory.
     */
    STRICT(ContentSecurityPolicy.builder()
        .directive("default-src", "'none'")
        .directive("script-src", "'self'")
        .directive("style-src", "'self'")
        .directive("font-src", "'self'")
        .directive("connect-src", "'self'")
        .directive("img-src", "'self'")
        .directive("media-src", "'self'")
        .directive("manifest-src", "'self'")
        .directive("object-src", "'none'")
        .directive("base-uri", "'none'")
        .directive("form-action", "'self'")
        .directive("frame-ancestors", "'none'")
        .directive("upgrade-insecure-requests", "")
        .build(),
        "no-referrer",
        "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), usb=(), serial=(), hid=(), xr-spatial-tracking=(), browsing-topics=()",
        "same-origin", "same-origin", "require-corp", InlineFallback.BLOCK),

    /**
     * No policy headers at all; {@code Server} and {@code X-Powered-By} are still removed.
     */
    OFF(ContentSecurityPolicy.empty(), null, null, null, null, null, InlineFallback.BLOCK);

    /**
     * What the CSP says about inline scripts and styles when their hashes cannot be computed
     * (the page is larger than the bound, or compressed in a way that cannot be read).
     */
    public enum InlineFallback
    {
        /** Allow inline code for that response: the page works, less protected; logged. */
        UNSAFE_INLINE,
        /** Keep blocking inline code: the page may break; logged. */
        BLOCK
    }

    private final ContentSecurityPolicy csp;
    private final String referrerPolicy;
    private final String permissionsPolicy;
    private final String crossOriginOpenerPolicy;
    private final String crossOriginResourcePolicy;
    private final String crossOriginEmbedderPolicy;
    private final InlineFallback inlineFallback;

    Preset(ContentSecurityPolicy csp, String referrerPolicy, String permissionsPolicy, String crossOriginOpenerPolicy,
           String crossOriginResourcePolicy, String crossOriginEmbedderPolicy, InlineFallback inlineFallback)
    {
        this.csp = csp;
        this.referrerPolicy = referrerPolicy;
        this.permissionsPolicy = permissionsPolicy;
        this.crossOriginOpenerPolicy = crossOriginOpenerPolicy;
        this.crossOriginResourcePolicy = crossOriginResourcePolicy;
        this.crossOriginEmbedderPolicy = crossOriginEmbedderPolicy;
        this.inlineFallback = inlineFallback;
    }

    public ContentSecurityPolicy csp()
    {
        return csp;
    }

    public String referrerPolicy()
    {
        return referrerPolicy;
    }

    public String permissionsPolicy()
    {
        return permissionsPolicy;
    }

    /**
     * @return COOP: {@code same-origin-allow-popups} for the apps, whose sign-in (plex.tv, Google,
     * Apple, SSO) opens popups that must be able to reach back to the opener
     */
    public String crossOriginOpenerPolicy()
    {
        return crossOriginOpenerPolicy;
    }

    public String crossOriginResourcePolicy()
    {
        return crossOriginResourcePolicy;
    }

    public String crossOriginEmbedderPolicy()
    {
        return crossOriginEmbedderPolicy;
    }

    public InlineFallback inlineFallback()
    {
        return inlineFallback;
    }

    /**
     * @return the name used in configuration, e.g. {@code home-assistant}
     */
    public String configName()
    {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    private static final class AppDefaults
    {
        /**
         * Denies sensors and devices a media app never uses; leaves autoplay, fullscreen,
         * picture-in-picture and encrypted-media (DRM) at their default, which is allowed for
         * the app's own origin.
         */
        static final String PERMISSIONS_MEDIA_APP = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), serial=(), hid=(), browsing-topics=()";
    }
}
