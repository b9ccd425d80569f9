[description]
Gatehouse access gate: verifies Cloudflare Access (or any OIDC issuer's) JWTs at the origin,
with ordered rules per host, path, method, listener and network; strips every incoming identity
header and sets its own from verified claims only; admits Plex's native apps by a Plex token the
upstream accepts or by a network remembered after a browser login.

[tags]
gatehouse

[depend]
gatehouse

[ini]
gatehouse-plugin.gate=lib/gatehouse/plugins/gate

[ini-template]
## --- Whose tokens -------------------------------------------------------------------------
## gatehouse.gate.cloudflare-team: your Cloudflare Zero Trust team name (the "myteam" of
## myteam.cloudflareaccess.com). The issuer is then https://<team>.cloudflareaccess.com exactly
## and the keys come from https://<team>.cloudflareaccess.com/cdn-cgi/access/certs.
## Set this or issuer, not both.
# gatehouse.gate.cloudflare-team=

## gatehouse.gate.issuer: any OIDC issuer instead of Cloudflare Access, compared exactly with the
## token's iss. Its keys come from the jwks_uri of <issuer>/.well-known/openid-configuration
## (whose issuer must match) unless jwks-url or jwks-file is set.
# gatehouse.gate.issuer=

## gatehouse.gate.jwks-url: fetch the signing keys from this URL instead of the derived or
## discovered one (for a mirror, or tests). Leave unset for Cloudflare.
# gatehouse.gate.jwks-url=

## gatehouse.gate.jwks-file: a local JWK set file (JSON, relative to jetty.base) instead of
## fetching keys; read once at start.
# gatehouse.gate.jwks-file=

## gatehouse.gate.audiences: required. The accepted aud values, comma-separated: for Cloudflare,
## the Application Audience (AUD) tag of each Access application in front of this Gatehouse. A
## token must carry at least one. Without it any token of your team (every Access app shares the
## key) would be accepted.
# gatehouse.gate.audiences=

## --- Checks -------------------------------------------------------------------------------
## gatehouse.gate.algorithms: accepted signature algorithms, comma-separated. RS256 (Cloudflare)
## and ES256; RS384, RS512, PS256, PS384, PS512, ES384, ES512 may be added. none and HS* never.
# gatehouse.gate.algorithms=RS256,ES256

## gatehouse.gate.require-type-app: Cloudflare only: require the claim type=app, refusing the
## org-wide session token.
# gatehouse.gate.require-type-app=true

## gatehouse.gate.clock-skew: tolerance for exp, nbf and iat, 0s..5m. Cloudflare tokens can be
## short-lived, so keep the clock in sync (NTP) rather than raising this.
# gatehouse.gate.clock-skew=60s

## gatehouse.gate.max-token-lifetime: refuse tokens whose exp - iat is longer than this; 0s is off.
# gatehouse.gate.max-token-lifetime=0s

## gatehouse.gate.max-token-size: longer tokens are refused before they are parsed, 512B..64KiB.
# gatehouse.gate.max-token-size=8KiB

## gatehouse.gate.min-rsa-key-size: RSA keys shorter than this (bits) in the key set are ignored.
# gatehouse.gate.min-rsa-key-size=2048

## --- Where the token is read --------------------------------------------------------------
## The Cf-Access-Jwt-Assertion header always; if it is present, it decides (a bad header is a 401
## even with a good cookie). Never from the query string.
## gatehouse.gate.token-cookie: when the header is absent, read the CF_Authorization cookie.
# gatehouse.gate.token-cookie=true

## gatehouse.gate.token-bearer: when header and cookie are absent, read Authorization: Bearer.
# gatehouse.gate.token-bearer=false

## gatehouse.gate.forward-token: pass the verified token upstream. false removes the header, the
## cookie and (if used) the bearer token from what the upstream receives.
# gatehouse.gate.forward-token=false

## gatehouse.gate.token-cache-entries: verified tokens remembered by SHA-256 until they expire, so
## repeated requests skip the signature check; 0 turns the cache off.
# gatehouse.gate.token-cache-entries=10000

## --- Fetching keys ------------------------------------------------------------------------
## Keys are fetched at start; until any key was ever loaded, token-protected requests get 503.
## gatehouse.gate.http-timeout: connect and read timeout of each key, discovery and Plex-token
## request, 500ms..60s.
# gatehouse.gate.http-timeout=5s

## gatehouse.gate.jwks-size-limit: largest key set or discovery document accepted, 4KiB..1MiB.
# gatehouse.gate.jwks-size-limit=64KiB

## gatehouse.gate.jwks-cache-ttl: how long fetched keys are used before they are fetched again.
# gatehouse.gate.jwks-cache-ttl=10m

## gatehouse.gate.jwks-refresh-ahead: refresh the keys in the background this long before the
## cache expires; shorter than jwks-cache-ttl.
# gatehouse.gate.jwks-refresh-ahead=1m

## gatehouse.gate.jwks-rate-limit: at most two key fetches per this interval, including the
## refetch for a token with an unknown kid (a new key after a rotation).
# gatehouse.gate.jwks-rate-limit=30s

## gatehouse.gate.jwks-outage-tolerance: while the key URL fails, keep using the last fetched keys
## this long. Cloudflare keeps a rotated-out key valid for 7 days.
# gatehouse.gate.jwks-outage-tolerance=24h

## --- Rules --------------------------------------------------------------------------------
## gatehouse.gate.rules-file: ordered rules, first match wins, one a line; see the commented
## example etc/gatehouse/gate-rules.txt and docs/cloudflare.md. Unset: every request needs a
## valid token.
# gatehouse.gate.rules-file=etc/gatehouse/gate-rules.txt

## gatehouse.gate.default-action: for requests no rule matched: allow (a valid token from any
## identity) or deny (403).
# gatehouse.gate.default-action=allow

## gatehouse.gate.groups-claim: the claim holding the user's groups, for group= conditions
## (a string or an array of strings).
# gatehouse.gate.groups-claim=groups

## gatehouse.gate.identity-headers: set Cf-Access-Authenticated-User-Email, X-Forwarded-Email,
## X-Forwarded-User, Remote-User and X-Forwarded-Groups upstream from verified claims. Incoming
## copies of these (any spelling) are removed either way.
# gatehouse.gate.identity-headers=true

## gatehouse.gate.deny-page: an HTML file (relative to jetty.base) sent as the body of 401 and 403
## answers to clients that accept text/html; otherwise the body is the bare status line.
# gatehouse.gate.deny-page=

## --- Plex native apps ---------------------------------------------------------------------
## A plex-token rule admits a request whose X-Plex-Token (header or query) the upstream Plex
## accepts; checked once, then cached.
## gatehouse.gate.plex-token-check-path: the upstream path requested with the token. Plex answers
## / only with a valid token (/identity answers everyone, so it cannot be used).
# gatehouse.gate.plex-token-check-path=/

## gatehouse.gate.plex-token-cache-ttl: how long an accepted token is admitted without asking Plex.
# gatehouse.gate.plex-token-cache-ttl=10m

## gatehouse.gate.plex-token-negative-ttl: how long a refused token (or a failed check) is refused
## without asking Plex again.
# gatehouse.gate.plex-token-negative-ttl=1m

## gatehouse.gate.plex-token-checks-per-minute: at most this many checks of unknown tokens go to
## Plex per minute; beyond that an unknown token counts as refused (not cached).
# gatehouse.gate.plex-token-checks-per-minute=30

## gatehouse.gate.plex-token-cache-entries: tokens remembered (by SHA-256), 16..100000.
# gatehouse.gate.plex-token-cache-entries=1000

## gatehouse.gate.remember-network-for: after a browser login (a verified token with an email,
## admitted by an allow rule), remembered rules admit the client's address for this long, e.g.
## 7d; 0s is off. Only public addresses are remembered, so the client address must be resolved
## (gatehouse-forwarded trusting cloudflared) for this to work through a tunnel.
# gatehouse.gate.remember-network-for=0s

## gatehouse.gate.remember-file: where remembered networks are kept across restarts (written
## atomically). Each app of webapps/ keeps its own, named with the app: e.g.
## state/gate-remembered-networks-jellyfin.txt.
# gatehouse.gate.remember-file=state/gate-remembered-networks.txt

## gatehouse.gate.remember-ipv6-prefix: an IPv6 client is remembered as its /N network, 48..128
## (privacy addresses change within a /64).
# gatehouse.gate.remember-ipv6-prefix=64

## gatehouse.gate.remember-max-entries: at most this many networks are remembered; the one that
## expires first goes first.
# gatehouse.gate.remember-max-entries=256
