/**
 * recording.watch fan-out: N watchers over M recordings against the server in its own process.
 * Prints upstream query calls per poll interval (ours vs. the tutorial's every-viewer-polls
 * baseline), the server's memory per watcher (heap and RSS after a full collection, against its
 * idle figures measured in the same run), and
 * delivery latency from Agora's answer to the watcher, p50/p99.
 *
 *   pnpm bench:fanout            (BENCH_WATCHERS=1000 BENCH_RECORDINGS=10 BENCH_POLL_MS=2000)
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createTRPCClient, createWSClient, httpSubscriptionLink, wsLink, type TRPCClient } from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { AppRouter } from '@agora-backend/server';
import { percentile, printTable } from './report.js';
import { comparePerConnection } from './watch-per-connection.js';

/** Watchers, one per connection, against a bare server's idle connections (issue 35); 0 skips it. */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 2_000);
if (process.env.BENCH_PART === 'compare') {
  printTable(`one watcher per connection against a bare idle connection`, await comparePerConnection(CONNECTIONS));
  process.exit(0);
}

const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 1_000);
const RECORDINGS = Number(process.env.BENCH_RECORDINGS ?? 10);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 2_000);
const INTERVALS = Number(process.env.BENCH_INTERVALS ?? 4);
const SSE_SHARE = Number(process.env.BENCH_SSE_SHARE ?? 0.2);
/** BENCH_HEAP_SNAPSHOTS=dir: the server writes heap snapshots there, idle and with the watchers. */
const SNAPSHOTS = process.env.BENCH_HEAP_SNAPSHOTS;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', new URL('./fanout-server.ts', import.meta.url).pathname], {
  env: { ...process.env, BENCH_POLL_MS: String(POLL_MS) },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const childLines = createInterface({ input: child.stdout });
const nextLine = () => new Promise<string>((resolve) => childLines.once('line', resolve));
const { url, wsUrl, emulatorUrl } = JSON.parse(await nextLine()) as { url: string; wsUrl: string; emulatorUrl: string };
interface Memory {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}
async function snapshot(name: string) {
  const answer = nextLine();
  child.stdin.write(`snapshot ${SNAPSHOTS}/${name}.heapsnapshot\n`);
  console.log(`heap snapshot: ${(JSON.parse(await answer) as { snapshot: string }).snapshot}`);
}
/** The server's memory after a full collection (it runs with --expose-gc). */
async function measureServer(): Promise<Memory> {
  const answer = nextLine();
  child.stdin.write('measure\n');
  return (JSON.parse(await answer) as { memory: Memory }).memory;
}
const control = (path: string, body?: unknown) =>
  fetch(`${emulatorUrl}/_emulator${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }).then(
    (response) => response.json() as Promise<unknown>,
  );

const http = createTRPCClient<AppRouter>({ links: [httpSubscriptionLink({ url, transformer: superjson, EventSource })] });
const { httpBatchLink } = await import('@trpc/client');
const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url, transformer: superjson })] });

const recordings: string[] = [];
const sidOf = new Map<string, string>();
for (let i = 0; i < RECORDINGS; i++) {
  await control(`/channels/bench${i}/publishers`, { uid: 1 });
  const started = await api.recording.start.mutate({ channel: `bench${i}`, mode: 'individual' });
  recordings.push(started.id);
  sidOf.set(started.id, started.sid);
}
await sleep(POLL_MS + 500);
const idle = await measureServer();
if (SNAPSHOTS) await snapshot('idle');

// Watchers: 80% over WebSocket (50 per connection), 20% over SSE.
const connections: { client: TRPCClient<AppRouter>; close: () => Promise<void> }[] = [];
const received: { recording: string; at: number; files: number }[] = [];
let opened = 0;
for (let i = 0; i < WATCHERS; i++) {
  const recording = recordings[i % RECORDINGS]!;
  let client: TRPCClient<AppRouter>;
  if (i < WATCHERS * SSE_SHARE) client = http;
  else {
    if (connections.length === 0 || opened % 50 === 0) {
      const wsClient = createWSClient({ url: wsUrl, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket });
      connections.push({
        client: createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] }),
        close: () => wsClient.close(),
      });
    }
    client = connections.at(-1)!.client;
    opened++;
  }
  client.recording.watch.subscribe(
    { id: recording },
    { onData: (event) => received.push({ recording, at: Date.now(), files: event.data.files.length }) },
  );
}
for (let waited = 0; received.length < WATCHERS; waited += 50) {
  if (waited > 30_000) throw new Error(`only ${received.length} of ${WATCHERS} watchers got their first event`);
  await sleep(50);
}
await sleep(500);
const watched = await measureServer();
if (SNAPSHOTS) await snapshot('watched');

// Each interval a new publisher joins every channel, so each poll brings a change to deliver.
await fetch(`${emulatorUrl}/_emulator/requests`, { method: 'DELETE' });
const startedAt = Date.now();
received.length = 0;
for (let interval = 0; interval < INTERVALS; interval++) {
  for (let i = 0; i < RECORDINGS; i++) await control(`/channels/bench${i}/publishers`, { uid: interval + 2 });
  await sleep(POLL_MS);
}
await sleep(300);
const elapsed = Date.now() - startedAt;
const log = (await control('/requests')) as { requests: { at: number; endpoint: string; path: string }[] };
const queries = log.requests.filter((entry) => entry.endpoint === 'query');

// Latency: each delivery against the latest query answer for its recording before it.
const latencies: number[] = [];
for (const delivery of received) {
  const sid = sidOf.get(delivery.recording)!;
  const answer = queries.filter((query) => query.path.includes(`/sid/${sid}/`) && query.at <= delivery.at).at(-1);
  if (answer) latencies.push(delivery.at - answer.at);
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const intervals = elapsed / POLL_MS;
const perInterval = queries.length / intervals;
const rows: [string, string][] = [
  ['watchers / recordings', `${WATCHERS} / ${RECORDINGS}`],
  ['upstream queries per interval (ours)', perInterval.toFixed(1)],
  ['upstream queries per interval (every watcher polls, tutorial)', String(WATCHERS)],
  ['ratio ours / tutorial', (perInterval / WATCHERS).toFixed(4)],
  ['server heap after GC: idle → with watchers', `${mib(idle.heapUsed)} → ${mib(watched.heapUsed)} MiB`],
  ['server heap per watcher (retained after GC)', `${((watched.heapUsed - idle.heapUsed) / WATCHERS / 1024).toFixed(1)} KiB`],
  ['server RSS after GC: idle → with watchers', `${mib(idle.rss)} → ${mib(watched.rss)} MiB`],
  ['server RSS per 1,000 watchers', `${mib(((watched.rss - idle.rss) / WATCHERS) * 1000)} MiB`],
  ['server buffers outside the heap: idle → with watchers', `${mib(idle.external)} → ${mib(watched.external)} MiB`],
  ['deliveries measured', String(latencies.length)],
  ['delivery latency p50 (Agora answer → watcher)', `${percentile(latencies, 50).toFixed(1)} ms`],
  ['delivery latency p99', `${percentile(latencies, 99).toFixed(1)} ms`],
];
printTable(`recording.watch fan-out, poll interval ${POLL_MS} ms`, rows);

for (const connection of connections) await connection.close();
child.kill('SIGTERM');
await new Promise((resolve) => child.once('exit', resolve));
if (CONNECTIONS > 0) printTable(`one watcher per connection against a bare idle connection`, await comparePerConnection(CONNECTIONS));
process.exit(0);
