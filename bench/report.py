#!/usr/bin/env python3
"""Turns scripts/bench's metrics.tsv (candidate, metric, round, value) into one markdown table.

Each cell: the median over the rounds, the spread (min-max) when there was more than one sample,
and the ratio to the best peer (nginx, Caddy, HAProxy, Traffic Server) and to the upstream reached
directly. Ratios are always "this / reference", so for lower-is-better figures (latency, CPU,
memory, start time) a ratio below 1 is better.
"""
import re
import statistics
import sys
from collections import defaultdict

PEERS = ["nginx", "caddy", "haproxy", "trafficserver"]
ORDER = ["gatehouse", "gatehouse-b", "nginx", "caddy", "haproxy", "trafficserver", "direct"]
TITLES = {"gatehouse": "Gatehouse", "gatehouse-b": "Gatehouse (variant B)", "nginx": "nginx", "caddy": "Caddy",
          "haproxy": "HAProxy", "trafficserver": "Traffic Server", "direct": "upstream direct"}
# metric, title, higher is better, format
METRICS = [
    ("rps", "HTTPS keep-alive, 1 KiB, req/s (wrk)", True, "{:,.0f}"),
    ("p50_ms", "  latency p50, ms", False, "{:.2f}"),
    ("p99_ms", "  latency p99, ms", False, "{:.2f}"),
    ("cpu_us_per_request", "  CPU per request, µs (user+sys of the candidate)", False, "{:.1f}"),
    ("wrk_jit_pct", "  JIT compiling, % of the CPU (keep-alive, JVMs only)", False, "{:.1f}"),
    ("h2_rps", "HTTP/2, 1 KiB, req/s (h2load)", True, "{:,.0f}"),
    ("h2_jit_pct", "  JIT compiling, % of the CPU (HTTP/2, JVMs only)", False, "{:.1f}"),
    ("large_MBps", "256 MiB download, MB/s (curl, HTTP/1.1)", True, "{:,.0f}"),
    ("large_cpu_s_per_GB", "  CPU per GB downloaded, s (user+sys of the candidate)", False, "{:.2f}"),
    ("large_jit_pct", "  JIT compiling, % of the CPU (download, JVMs only)", False, "{:.1f}"),
    ("tls_handshakes_per_s", "new TLS connections/s (full handshake + 1 GET)", True, "{:,.0f}"),
    ("tls_jit_pct", "  JIT compiling, % of the CPU (new connections, JVMs only)", False, "{:.1f}"),
    ("ws_round_trips_per_s", "WebSocket echo, round trips/s (32 sockets, 128 B)", True, "{:,.0f}"),
    ("ws_p50_ms", "  round trip p50, ms", False, "{:.2f}"),
    ("ws_p99_ms", "  round trip p99, ms", False, "{:.2f}"),
    ("ws_jit_pct", "  JIT compiling, % of the CPU (WebSocket, JVMs only)", False, "{:.1f}"),
    ("peak_rss_MiB", "peak RSS, MiB (VmHWM, summed over processes)", False, "{:,.0f}"),
    ("start_ms", "start to first proxied request, ms (restarts; Gatehouse: bin/gatehouse)", False, "{:,.0f}"),
    ("start_first_ms", "  Gatehouse's first start of a new base or configuration, ms (no start cache or class archive yet)", False, "{:,.0f}"),
]


def parse_value(metric, text):
    text = text.strip()
    if metric in ("p50_ms", "p99_ms"):
        match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text)
        if not match:
            return None
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[match.group(2)]
        return float(match.group(1)) * scale
    try:
        return float(text)
    except ValueError:
        return None


def main():
    path, conditions = sys.argv[1], sys.argv[2]
    samples = defaultdict(list)
    by_round = defaultdict(lambda: defaultdict(list))
    notes = defaultdict(set)
    failed = set()
    for line in open(path, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 4:
            continue
        candidate, metric, _round, value = parts
        if metric == "failed":
            failed.add(candidate)
            continue
        if metric == "errors":
            if value.strip() not in ("", "0"):
                notes[candidate].add("wrk: " + value.strip().rstrip("; "))
            continue
        if metric == "ws_failures":
            if value.strip() not in ("", "0"):
                notes[candidate].add("WebSocket client failures (sockets refused, closed or wrong echo): " + value.strip())
            continue
        if metric == "h2_failed":
            if value.strip() not in ("", "0"):
                notes[candidate].add("h2load failed requests: " + value.strip())
            continue
        parsed = parse_value(metric, value)
        if parsed is not None:
            samples[(candidate, metric)].append(parsed)
            by_round[(candidate, metric)][_round].append(parsed)

    candidates = [c for c in ORDER if any(k[0] == c for k in samples) or c in failed]
    medians = {k: statistics.median(v) for k, v in samples.items()}

    def best_peer(metric, higher):
        values = [medians[(p, metric)] for p in PEERS if (p, metric) in medians]
        if not values:
            return None
        return max(values) if higher else min(values)

    header = "| figure | " + " | ".join(TITLES[c] for c in candidates) + " |"
    rule = "|---|" + "---|" * len(candidates)
    rows = [header, rule]
    for metric, title, higher, fmt in METRICS:
        if not any(key[1] == metric for key in samples):
            continue  # not measured in this run (BENCH_TESTS)
        best = best_peer(metric, higher)
        direct = medians.get(("direct", metric))
        cells = []
        for candidate in candidates:
            values = samples.get((candidate, metric))
            if candidate in failed:
                cells.append("did not start")
                continue
            if not values:
                if metric.startswith("ws_"):
                    cells.append("not measured")
                elif metric == "h2_rps" and candidate == "direct":
                    cells.append("n/a")
                else:
                    cells.append("–")
                continue
            median = statistics.median(values)
            text = "**" + fmt.format(median) + "**"
            if len(values) > 1:
                text += " (" + fmt.format(min(values)) + "–" + fmt.format(max(values)) + ")"
            ratios = []
            if best and candidate != "direct":
                ratios.append("{:.2f}× best peer".format(median / best))
            if direct and candidate != "direct":
                ratios.append("{:.2f}× direct".format(median / direct))
            if ratios:
                text += "<br>" + ", ".join(ratios)
            cells.append(text)
        rows.append("| " + title + " | " + " | ".join(cells) + " |")

    print("## Gatehouse benchmark\n")
    print("\n".join(rows))
    print()
    print("Median over the rounds, (min–max) spread, ratio = candidate ÷ reference (best peer = the best of nginx, "
          "Caddy, HAProxy, Traffic Server on that figure; for latency, CPU, memory and start time lower is better, "
          "so a ratio below 1 is better there).")
    print("WebSocket: the stand-in upstream relays /ws to a node echo server, so \"upstream direct\" includes that hop "
          "(nginx to the echo) and every candidate adds its own on top.")
    if any(key[1].endswith("_jit_pct") for key in samples):
        print("JIT compiling: the CPU time of the JVM's compiler threads during that measurement, as a share of the "
              "candidate's; a JVM recompiles what a measurement runs that the ones before it did not, so a high "
              "figure means that measurement included compiling, not only the steady state.")
    for candidate in candidates:
        for note in sorted(notes.get(candidate, ())):
            print("- {}: {}".format(TITLES[candidate], note))
    paired = paired_rounds(by_round)
    if paired:
        print()
        print("Variant B against Gatehouse, round by round (each round measures both, one after the other, "
              "so a pair shares the machine's phase): " + "; ".join(paired) + ".")
    print()
    print("Conditions: " + conditions)


def paired_rounds(by_round):
    """Per figure, in how many rounds variant B did better than Gatehouse, and the median of the
    per-round ratios B/A: on a machine whose speed drifts, pairs say more than two medians."""
    lines = []
    for metric, title, higher, _fmt in METRICS:
        if metric.startswith("start") or metric == "peak_rss_MiB":
            continue  # measured once per candidate, A's before B's: not pairs
        a = {r: statistics.mean(v) for r, v in by_round.get(("gatehouse", metric), {}).items()}
        b = {r: statistics.mean(v) for r, v in by_round.get(("gatehouse-b", metric), {}).items()}
        rounds = [r for r in set(a) & set(b) if a[r] > 0 and b[r] > 0]
        if len(rounds) < 2:
            continue
        better = sum(1 for r in rounds if (b[r] > a[r]) == higher and b[r] != a[r])
        ratio = statistics.median(b[r] / a[r] for r in rounds)
        lines.append("{}: B better in {} of {}, B/A {:.3f}".format(title.strip(), better, len(rounds), ratio))
    return lines


if __name__ == "__main__":
    main()
