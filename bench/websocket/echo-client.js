#!/usr/bin/env node
// WebSocket echo round trips: CONNECTIONS sockets, each sending one message and waiting for its
// echo before sending the next, until SECONDS have passed or MAX round trips were made in all.
// Prints one line of JSON: round trips, round trips/s, p50/p99 latency (ms), failures.
//
//   NODE_PATH=/usr/share/nodejs node echo-client.js URL CONNECTIONS SECONDS MAX [BYTES] [PROCESSES]
//
// The load is spread over PROCESSES node processes (default 2: one client core each, like wrk -t2);
// the certificate is not verified (the benchmark's throwaway front certificate), loopback only.
'use strict';
const { fork } = require('child_process');
const WebSocket = require('ws');

const [url, connectionsText, secondsText, maxText, bytesText, processesText] = process.argv.slice(2);
const connections = Number(connectionsText);
const seconds = Number(secondsText);
const max = Number(maxText);
const bytes = Number(bytesText || 128);
const processes = Math.max(1, Math.min(Number(processesText || 2), connections));
if (!url || !/^wss?:\/\/(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?\//.test(url) || !(connections > 0) || !(seconds > 0) || !(max > 0)) {
  console.error('usage: echo-client.js wss://127.0.0.1:PORT/PATH CONNECTIONS SECONDS MAX [BYTES] [PROCESSES] (loopback only)');
  process.exit(2);
}

// Seconds between the first open and the last echo over all workers (0 when nothing was echoed).
function measuringSeconds(began, ended) {
  return Number.isFinite(began) && ended > began ? (ended - began) / 1000 : 0;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

// One worker: `count` sockets, at most `limit` round trips, until `deadline` (ms since epoch).
// Reports its latencies and its measuring window (first socket open to last echo).
function worker(count, limit, deadline) {
  const latencies = new Float64Array(limit);
  let done = 0, failures = 0, finished = 0, began = 0, ended = 0;
  const payload = 'x'.repeat(bytes);
  const closers = [];
  return new Promise((resolve) => {
    const finish = () => {
      if (++finished === count) {
        resolve({ latencies: Array.from(latencies.subarray(0, done)), failures, began, ended });
      }
    };
    for (let i = 0; i < count; i++) {
      const socket = new WebSocket(url, { rejectUnauthorized: false, perMessageDeflate: false, handshakeTimeout: 10000 });
      let sentAt = 0n, closed = false;
      const close = () => { if (!closed) { closed = true; socket.terminate(); finish(); } };
      closers.push(close);
      const send = () => {
        if (done >= limit || Date.now() >= deadline) return close();
        sentAt = process.hrtime.bigint();
        socket.send(payload);
      };
      socket.on('open', () => { if (!began) began = Date.now(); send(); });
      socket.on('message', (data) => {
        if (data.length !== bytes) failures++;
        if (done < limit) latencies[done++] = Number(process.hrtime.bigint() - sentAt) / 1e6;
        ended = Date.now();
        send();
      });
      socket.on('error', () => { failures++; close(); });
      socket.on('close', close);
    }
    // A silent proxy must not hang the client: whatever is still open 10 s after the deadline
    // is counted as failed and closed.
    setTimeout(() => closers.forEach((close) => close()), Math.max(0, deadline - Date.now()) + 10000).unref();
  });
}

if (process.env.ECHO_CLIENT_WORKER) {
  const { count, limit, deadline } = JSON.parse(process.env.ECHO_CLIENT_WORKER);
  worker(count, limit, deadline).then((result) => {
    process.send(result, () => process.exit(0));
  });
} else {
  const started = Date.now();
  const deadline = started + seconds * 1000;
  const children = [];
  for (let p = 0; p < processes; p++) {
    const count = Math.floor(connections / processes) + (p < connections % processes ? 1 : 0);
    const limit = Math.ceil(max / processes);
    children.push(new Promise((resolve) => {
      const child = fork(__filename, [url, connectionsText, secondsText, maxText, String(bytes), '1'], {
        env: { ...process.env, ECHO_CLIENT_WORKER: JSON.stringify({ count, limit, deadline }) },
      });
      let result = { latencies: [], failures: count };
      child.on('message', (message) => { result = message; });
      child.on('exit', () => resolve(result));
    }));
  }
  // Bounded: the workers stop at the deadline; a worker stuck past deadline + 20 s is killed.
  const guard = setTimeout(() => { console.error('echo-client: workers did not finish'); process.exit(1); }, seconds * 1000 + 20000);
  Promise.all(children).then((results) => {
    clearTimeout(guard);
    const began = Math.min(...results.map((r) => r.began || Infinity));
    const ended = Math.max(...results.map((r) => r.ended || 0));
    const elapsed = measuringSeconds(began, ended);
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const failures = results.reduce((sum, r) => sum + r.failures, 0);
    console.log(JSON.stringify({
      round_trips: latencies.length,
      seconds: Number(elapsed.toFixed(3)),
      round_trips_per_s: elapsed > 0 ? Number((latencies.length / elapsed).toFixed(1)) : 0,
      p50_ms: percentile(latencies, 0.5),
      p99_ms: percentile(latencies, 0.99),
      failures,
    }));
  });
}
