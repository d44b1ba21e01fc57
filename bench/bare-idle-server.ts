/**
 * The baseline of watch-fanout.ts's per-connection comparison (issue 35): a bare `ws` server and a
 * bare node:http server holding `text/event-stream` responses open, nothing else. It answers the
 * same stdin protocol as fanout-server.ts ("measure": memory after a full collection; run it with
 * --expose-gc), so an idle connection's cost is measured as a watcher's is.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { answerMemoryCommands } from './memory-commands.js';

const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' });
  res.write('event: connected\ndata: {}\n\n');
});
const wss = new WebSocketServer({ server });
wss.on('connection', () => undefined);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/sse`, wsUrl: `ws://127.0.0.1:${port}/`, pid: process.pid })}\n`);
answerMemoryCommands();
process.on('SIGTERM', () => process.exit(0));
