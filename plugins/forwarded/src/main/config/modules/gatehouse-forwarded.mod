[description]
Gatehouse: the real client address from trusted proxies only (X-Forwarded-For, RFC 7239
Forwarded, X-Real-IP, CF-Connecting-IP), walked right to left, with Apache mod_remoteip's split
between internal proxies (may present LAN addresses) and trusted ones such as a CDN (may not).
Upstream, the forwarded headers are rebuilt from that client, never passed on.
Do not enable Jetty's own 'forwarded' module with it: Gatehouse refuses to start.

[tags]
gatehouse

[depend]
gatehouse

[ini]
gatehouse-plugin.forwarded=lib/gatehouse/plugins/forwarded

[ini-template]
## Nothing is believed until a proxy is listed. Lists are comma-separated; each entry is an
## address, a CIDR block (10.0.0.0/8, fd00::/8; IPv4-mapped addresses count as IPv4) or a preset:
##   loopback   = 127.0.0.0/8, ::1
##   private    = 10/8, 172.16/12, 192.168/16, fc00::/7, 127/8, ::1 (not link-local, not CGNAT 100.64/10)
##   cloudflare = the ranges in cloudflare-ips-file (below)
## Host names are refused: trust is never decided by DNS.

## gatehouse.forwarded.internal-proxies: your own proxies (a LAN load balancer, nginx on this
## host, cloudflared). They may present any client address, LAN addresses included.
## Example: loopback,192.168.1.2
# gatehouse.forwarded.internal-proxies=

## gatehouse.forwarded.trusted-proxies: external proxies, e.g. a CDN (cloudflare). They may present
## public client addresses only: a private, loopback, link-local, CGNAT, reserved or non-global
## IPv6 address from them stops the walk, so they can never make a request look like it came
## from your LAN. Once the walk has crossed such a proxy, no private address is accepted further
## left, even from an internal proxy. Note: trusting 'cloudflare' trusts every Cloudflare customer's
## Workers too; prefer a tunnel or authenticated origin pulls, and never make cloudflare internal.
# gatehouse.forwarded.trusted-proxies=

## gatehouse.forwarded.cf-connecting-ip-from: peers whose CF-Connecting-IP (and CF-Connecting-IPv6,
## used when Cloudflare's pseudo-IPv4 is on) names the client; they also count as trusted proxies.
## 'cloudflare' for Cloudflare's edge, 'loopback' for cloudflared on this machine. The header must
## be one line with one public address, otherwise it is ignored and the chain header decides.
# gatehouse.forwarded.cf-connecting-ip-from=

## gatehouse.forwarded.header: the header holding the chain, walked right to left from the peer:
##   x-forwarded-for  every X-Forwarded-For line, comma lists, last line first
##   forwarded        RFC 7239 Forwarded: the for= of each element (quoted IPv6 in brackets)
##   auto             whichever arrived; if both arrive, both are walked and must name the same
##                    client, otherwise neither is believed and the client is the peer (so adding
##                    the other header can only hide a client behind its proxy, never choose one).
##                    Prefer naming the header your proxies write.
##   x-real-ip        one X-Real-IP line holding one address (nginx's convention)
## The first address that is not a listed proxy is the client; if all are proxies, the left-most.
## A malformed entry (not a strict IP literal: leading zeros, zone ids, host names, unknown,
## _obfuscated, 0.0.0.0, multicast) stops the walk: the last accepted address (a proxy's, or the
## peer's) is the client. Never an error for the request.
# gatehouse.forwarded.header=x-forwarded-for

## gatehouse.forwarded.max-hops: the most addresses walked in one chain (1-100); reaching it stops
## the walk as a malformed entry would.
# gatehouse.forwarded.max-hops=20

## gatehouse.forwarded.accept-proto: from a listed proxy, take the scheme from X-Forwarded-Proto
## (https only if every element of every line is https; any http means http; an unknown value
## means the header is ignored) or from the Forwarded element the walk ended at.
# gatehouse.forwarded.accept-proto=true

## gatehouse.forwarded.accept-host: from a listed proxy, take the public host (and its port) from
## X-Forwarded-Host (exactly one value; a list is ignored) or Forwarded host=. It changes routing
## by host name. Enable only if your proxies overwrite the header: Cloudflare passes a client's
## X-Forwarded-Host through unchanged.
# gatehouse.forwarded.accept-host=false

## gatehouse.forwarded.accept-port: from a listed proxy, take the public port from
## X-Forwarded-Port (exactly one value, 1-65535).
# gatehouse.forwarded.accept-port=false

## gatehouse.forwarded.cloudflare-ips-file: Cloudflare's ranges for the 'cloudflare' preset, one
## CIDR per line, # comments; relative to jetty.base. Read once at start-up (a missing or bad file
## stops the start). Refresh it from https://www.cloudflare.com/ips-v4 and /ips-v6 now and then.
# gatehouse.forwarded.cloudflare-ips-file=etc/gatehouse/cloudflare-ips.txt

## gatehouse.forwarded.upstream-x-forwarded-for: what the upstream's X-Forwarded-For holds:
##   client  the client address only (what Plex wants: it honours X-Forwarded-For from an
##           RFC 1918 peer, for a public client address)
##   chain   the verified chain, client first, then each proxy walked, then the peer
## Incoming forwarded headers (every spelling, and those named in Connection) are always deleted
## first; X-Real-IP is the client; X-Forwarded-Proto/Host/Port are the resolved scheme/host/port.
# gatehouse.forwarded.upstream-x-forwarded-for=client

## gatehouse.forwarded.upstream-forwarded: also send RFC 7239 Forwarded, e.g.
## for="[2001:db8::1]";host=example.com;proto=https (with 'chain', one for= per hop).
# gatehouse.forwarded.upstream-forwarded=false
