[description]
Gatehouse security headers: HSTS, CSP presets per app (plex, jellyfin, home-assistant, strict),
inline script/style hashes instead of 'unsafe-inline', and a bounded CSP violation report collector.

[tags]
gatehouse

[depend]
gatehouse

[ini]
gatehouse-plugin.security-headers=lib/gatehouse/plugins/security-headers

[ini-template]
## gatehouse.security-headers.preset: the policy to start from: plex, jellyfin, home-assistant,
## strict (no 'unsafe-*', cross-origin isolated; for static sites) or off (no policy headers;
## Server and X-Powered-By are still removed).
# gatehouse.security-headers.preset=plex

## gatehouse.security-headers.csp-add: sources added to the preset's CSP. Directives separated by
## ';', sources by spaces, as in a CSP header: e.g. img-src https://images.example.com; connect-src wss://push.example.com
## Adding to a directive that is 'none' replaces 'none'. report-uri/report-to are set from report-path.
# gatehouse.security-headers.csp-add=

## gatehouse.security-headers.csp-remove: sources, or whole directives (name alone), removed from
## the preset's CSP: e.g. img-src data:; upgrade-insecure-requests. Removing a directive's last
## source leaves 'none'; a removed directive falls back to default-src.
# gatehouse.security-headers.csp-remove=

## gatehouse.security-headers.report-only: true sends Content-Security-Policy-Report-Only: nothing
## is blocked and violations are reported (the upstream's own enforced CSP, if any, stays).
# gatehouse.security-headers.report-only=false

## gatehouse.security-headers.hsts-max-age: Strict-Transport-Security max-age, sent on HTTPS only
## (never on plain HTTP). 0s tells browsers to forget it.
# gatehouse.security-headers.hsts-max-age=365d

## gatehouse.security-headers.hsts-include-subdomains: true adds includeSubDomains; every
## subdomain must then serve HTTPS.
# gatehouse.security-headers.hsts-include-subdomains=false

## gatehouse.security-headers.hsts-preload: true adds preload (for hstspreload.org; hard to undo).
## Needs hsts-include-subdomains=true and hsts-max-age of at least 365d.
# gatehouse.security-headers.hsts-preload=false

## gatehouse.security-headers.inline-hashes: hash the inline <script> and <style> elements of
## HTML documents and allow exactly those (no 'unsafe-inline'). HTML is held back up to
## inline-hash-limit to do so; other responses stream through. Inline event handlers
## (onclick="...") and style="..." attributes are not covered.
# gatehouse.security-headers.inline-hashes=true

## gatehouse.security-headers.inline-hash-limit: largest HTML document (decompressed) held back
## for hashing; larger ones pass unbuffered with the fallback policy. 1KiB to 64MiB.
# gatehouse.security-headers.inline-hash-limit=2MiB

## gatehouse.security-headers.inline-hash-cache-entries: documents whose hashes are remembered by
## path and ETag (a document with a known ETag is not held back again). 0 disables the cache.
# gatehouse.security-headers.inline-hash-cache-entries=256

## gatehouse.security-headers.inline-fallback: when hashes cannot be computed (too large, br/zstd
## encoded): preset (unsafe-inline for the app presets, block for strict), unsafe-inline or block.
# gatehouse.security-headers.inline-fallback=preset

## gatehouse.security-headers.reports: collect CSP violation reports at report-path (report-uri and
## the Reporting API with a Reporting-Endpoints header). Requests to that path never reach the upstream.
# gatehouse.security-headers.reports=true

## gatehouse.security-headers.report-path: path of the violation report endpoint.
# gatehouse.security-headers.report-path=/.well-known/gatehouse/csp-report

## gatehouse.security-headers.report-body-limit: largest report body accepted (413 beyond). 1KiB to 1MiB.
# gatehouse.security-headers.report-body-limit=64KiB

## gatehouse.security-headers.report-rate-per-minute: reports accepted per client address per
## minute (token bucket; 429 beyond).
# gatehouse.security-headers.report-rate-per-minute=60

## gatehouse.security-headers.report-burst: reports a client address may send at once.
# gatehouse.security-headers.report-burst=20

## gatehouse.security-headers.report-max-tracked: distinct (directive, blocked source) pairs
## counted; later ones are counted as (other).
# gatehouse.security-headers.report-max-tracked=1000

## gatehouse.security-headers.report-summary: loopback (GET on report-path from this machine, not
## through the tunnel listener, returns the counts as JSON: curl -k https://127.0.0.1:8443/.well-known/gatehouse/csp-report)
## or off (log only).
# gatehouse.security-headers.report-summary=loopback

## gatehouse.security-headers.report-log-interval: how often the counts are logged when new
## reports arrived; 0s is never. Each new kind of violation is also logged once when first seen.
# gatehouse.security-headers.report-log-interval=15m

## gatehouse.security-headers.referrer-policy: Referrer-Policy instead of the preset's; empty keeps it.
# gatehouse.security-headers.referrer-policy=

## gatehouse.security-headers.permissions-policy: Permissions-Policy instead of the preset's, e.g.
## camera=(), microphone=(self); empty keeps it.
# gatehouse.security-headers.permissions-policy=
