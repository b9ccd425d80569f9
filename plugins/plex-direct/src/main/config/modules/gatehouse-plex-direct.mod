[description]
Gatehouse plex-direct: verified TLS to Plex Media Server by its <ip>.<hash>.plex.direct name,
with no DNS (router DNS-rebind protection cannot break it), the <hash> read from the server's
certificate when gatehouse.upstream is only https://<IPv4>:32400, an IPv4 RFC1918 hop so that
Plex honours X-Forwarded-For, and Plex's duplicate Content-Length on /library/streams tolerated.
See docs/plex.md, "Plex behind Gatehouse".

[tags]
gatehouse

[depend]
gatehouse

[ini]
gatehouse-plugin.plex-direct=lib/gatehouse/plugins/plex-direct

[ini-template]
## The upstream itself is the core's gatehouse.upstream. Write either
##   gatehouse.upstream=https://10.0.0.5:32400
## (Gatehouse reads *.<hash>.plex.direct from the server's certificate at start, uses
## https://10-0-0-5.<hash>.plex.direct:32400 and follows a new hash when Plex renews), or
##   gatehouse.upstream=https://10-0-0-5.<hash>.plex.direct:32400
## (pinned: the certificate must name exactly this hash; a change is logged as an error).
## The certificate chain is always verified: against the JDK's CAs (Plex's certificates come from
## a public CA) plus gatehouse.upstream.trust-store for a private CA. There is no switch to skip it.

## gatehouse.plex-direct.routes: comma-separated names of the routes whose upstream is Plex.
## "default" is the route of gatehouse.upstream. Other routes are left alone.
# gatehouse.plex-direct.routes=default

## gatehouse.plex-direct.discovery: true or false. When the upstream is https://<IP>:port, read the
## plex.direct name from the server's certificate at start (chain verified, host name not, for this
## one handshake only). false requires gatehouse.plex-direct.hash or a plex.direct upstream name.
# gatehouse.plex-direct.discovery=true

## gatehouse.plex-direct.hash: the 32 hexadecimal digits of *.<hash>.plex.direct (Plex's
## Preferences.xml CertificateUUID; not the 40-digit machineIdentifier). With an https://<IP>
## upstream it pins the name without discovery. Empty: not pinned.
# gatehouse.plex-direct.hash=

## gatehouse.plex-direct.rediscover-interval: how often to re-read a discovered server's
## certificate so a new hash is followed, e.g. 30m, 1h, 1d; at least 1m; 0s turns the timer off.
## Independently, a request that fails its TLS handshake triggers a re-read (at most every 10s).
# gatehouse.plex-direct.rediscover-interval=1h

## gatehouse.plex-direct.probe-timeout: time limit of the start-up certificate probe and of the
## /identity check, e.g. 2s, 5s; between 1ms and 1m.
# gatehouse.plex-direct.probe-timeout=5s

## gatehouse.plex-direct.source-address: the local address connections to Plex come from. Plex
## honours X-Forwarded-For only from a private IPv4 (RFC1918) peer.
##   auto: keep the kernel's choice if it is RFC1918 or loopback; otherwise bind an RFC1918 address
##         of this machine on Plex's subnet; otherwise warn at start.
##   os:   never bind; warn at start if the source is not RFC1918.
##   an IPv4 address of this machine, e.g. 192.168.1.10: always bind it (start fails if it is not local).
# gatehouse.plex-direct.source-address=auto

## gatehouse.plex-direct.identity-check: true or false. At start, GET /identity from Plex and log
## its machineIdentifier and version; a warning, never a failure, when Plex is down.
# gatehouse.plex-direct.identity-check=true
