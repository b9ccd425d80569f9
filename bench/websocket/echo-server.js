#!/usr/bin/env node
// The benchmark's stand-in WebSocket upstream: echoes every message back, as it came (text or
// binary). Plain ws:// on loopback; scripts/bench puts it behind the stand-in Plex (nginx, TLS),
// so every candidate reaches it the same way as the rest of the upstream.
//
//   NODE_PATH=/usr/share/nodejs node echo-server.js PORT
//
// Uses Debian's node-ws (ws 8), no npm install. Per-message compression off: the proxies differ
// in whether they pass it on, and the figure is about relaying frames.
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: echo-server.js PORT');
  process.exit(2);
}
const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 1 << 20 });
server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  socket.on('error', () => socket.terminate());
});
server.on('listening', () => console.log(`echo-server: ws://127.0.0.1:${port}/`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
