/**
 * recording.start → stop against the emulator with no injected latency: the time our server adds
 * above the emulator's own time for the same Agora calls, measured in the same run, alternating.
 * One iteration = start (acquire + start upstream) then stop (stop upstream).
 *
 * The emulator runs in its own process, as Agora is remote, so the direct calls cross a process
 * boundary as our server's calls do. Going through any backend adds one hop (client → server) that
 * calling Agora directly does not; it is measured in the same run as the round trip of the same
 * POST to a bare node:http server that answers `{}` once it has the body (bench/echo-server.ts),
 * and the server's own processing is the overhead less that hop. (A GET would understate the hop:
 * a POST's body arrives in a second segment, which costs a second wake-up of the server.)
 *
 *   pnpm bench:recording      (BENCH_ITERATIONS=60)
 */
import { createTokenIssuer, systemClock } from '@agora-backend/server';
import { TokenGenerateInput } from '../shared/src/index.js';
import { APP_ID, CERT, percentile, printTable, startProcess, startServer } from './lib.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 60);
const emulator = await startProcess('bench/emulator-server.ts', {}, (line) => typeof line.url === 'string');
const emulatorUrl = String(emulator.line.url);
const echo = await startProcess('bench/echo-server.ts', {}, (line) => typeof line.url === 'string');
const echoUrl = String(echo.line.url);
const server = await startServer({
  AGORA_CUSTOMER_ID: 'bench',
  AGORA_CUSTOMER_SECRET: 'bench-secret',
  AGORA_API_URL: emulatorUrl,
  STORAGE_VENDOR: '1',
  STORAGE_REGION: '0',
  STORAGE_BUCKET: 'bench',
  STORAGE_ACCESS_KEY: 'a',
  STORAGE_SECRET_KEY: 'b',
  LOG_LEVEL: 'info',
});
const trpcUrl = String(server.line.url);
const auth = `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`;
const tokens = createTokenIssuer({ appId: APP_ID, appCertificate: CERT, clock: systemClock });
const P = `${emulatorUrl}/v1/apps/${APP_ID}/cloud_recording`;
const post = async (url: string, body: unknown) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, string>;
};

/** Calls the emulator has answered, by endpoint (direct and ours together). */
async function upstreamCounts(): Promise<Record<string, number>> {
  const response = await fetch(`${emulatorUrl}/_emulator/requests`);
  return ((await response.json()) as { counts: Record<string, number> }).counts;
}

/** The same three Agora calls, made directly: the emulator's own time. */
async function direct(i: number) {
  const cname = `direct${i}`;
  const uid = String(4_100_000_000 + i);
  const token = tokens.issue(TokenGenerateInput.parse({ channel: cname, uid, expireSeconds: 4000 })).token;
  const t0 = performance.now();
  const { resourceId } = await post(`${P}/acquire`, { cname, uid, clientRequest: {} });
  const { sid } = await post(`${P}/resourceid/${resourceId}/mode/mix/start`, {
    cname,
    uid,
    clientRequest: {
      token,
      storageConfig: { vendor: 1, region: 0, bucket: 'b', accessKey: 'a', secretKey: 'b' },
      recordingConfig: { maxIdleTime: 30 },
      recordingFileConfig: { avFileType: ['hls'] },
    },
  });
  const t1 = performance.now();
  await post(`${P}/resourceid/${resourceId}/sid/${sid}/mode/mix/stop`, { cname, uid, clientRequest: {} });
  return { start: t1 - t0, stop: performance.now() - t1 };
}

/**
 * A tRPC mutation as the client library POSTs it, with fetch as the direct calls use: the time is
 * the server's and the wire's, not the client library's (its link, superjson) nor a batch link's
 * wait for a timer tick to gather calls.
 */
async function mutate(path: string, input: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${trpcUrl}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: input }),
  });
  const body = (await response.json()) as { result?: { data: { json: Record<string, unknown> } } };
  if (!response.ok || !body.result) throw new Error(`${path}: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body.result.data.json;
}

async function ours(i: number) {
  const t0 = performance.now();
  const started = await mutate('recording.start', { channel: `ours${i}` });
  const t1 = performance.now();
  await mutate('recording.stop', { id: started.id });
  return { start: t1 - t0, stop: performance.now() - t1 };
}

/** The same POST as a start through our server, to a server that does no work: the bare hop. */
async function hop(i: number) {
  const t0 = performance.now();
  const response = await fetch(`${echoUrl}/trpc/recording.start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { channel: `ours${i}` } }),
  });
  await response.text();
  return performance.now() - t0;
}

const samples = { direct: [] as { start: number; stop: number }[], ours: [] as { start: number; stop: number }[], hop: [] as number[] };
// Our server keeps to AGORA_REQUESTS_PER_SECOND (8 by default; 3 calls per iteration here, each
// holding its slot until its answer plus a second): pace every loop under it so no call waits for
// budget, and let the window empty after the warm-up.
const pace = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
for (let i = 0; i < 5; i++) {
  await direct(10_000 + i);
  await ours(10_000 + i);
  await hop(i);
  await pace(500);
}
await pace(1_500);
const before = await upstreamCounts();
for (let i = 0; i < ITERATIONS; i++) {
  samples.direct.push(await direct(i));
  samples.ours.push(await ours(i));
  samples.hop.push(await hop(i));
  await pace(500);
}
const after = await upstreamCounts();
await server.stop();
await emulator.stop();
await echo.stop();

const pick = (list: { start: number; stop: number }[], key: 'start' | 'stop') => list.map((sample) => sample[key]);
// Overheads are per iteration (ours − direct [− hop] of the same iteration), then percentiles.
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const rows: [string, string][] = [
  [
    `client → server hop (same POST to a bare server) p50 / p99`,
    `${fmt(percentile(samples.hop, 50))} / ${fmt(percentile(samples.hop, 99))}`,
  ],
];
for (const key of ['start', 'stop'] as const) {
  const d = pick(samples.direct, key);
  const o = pick(samples.ours, key);
  // Paired within an iteration (direct, ours and the hop run back to back), so a slow moment of
  // the machine lands on all three rather than on one distribution's percentile.
  const overhead = samples.ours.map((sample, i) => sample[key] - samples.direct[i]![key]);
  const processing = overhead.map((ms, i) => ms - samples.hop[i]!);
  const p50 = percentile(processing, 50);
  rows.push([`${key}: emulator alone p50 / p99`, `${fmt(percentile(d, 50))} / ${fmt(percentile(d, 99))}`]);
  rows.push([`${key}: through our server p50 / p99`, `${fmt(percentile(o, 50))} / ${fmt(percentile(o, 99))}`]);
  rows.push([
    `${key}: overhead (ours − emulator alone), hop included, p50 / p99`,
    `${fmt(percentile(overhead, 50))} / ${fmt(percentile(overhead, 99))}`,
  ]);
  rows.push([
    `${key}: overhead less the hop: our server's time, p50 / p99 (target p50 < 3 ms)`,
    `${fmt(p50)} / ${fmt(percentile(processing, 99))}  ${p50 < 3 ? 'meets target' : 'BELOW TARGET'}`,
  ]);
}
const calls = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
// The direct path makes one acquire, start and stop per iteration and no query; the rest is ours.
const ourCalls = (name: string) => (calls(name) - (name === 'query' ? 0 : ITERATIONS)) / ITERATIONS;
rows.push([
  'upstream calls by our server per iteration (acquire / start / stop / query)',
  ['acquire', 'start', 'stop', 'query'].map((name) => ourCalls(name).toFixed(2)).join(' / '),
]);
printTable(`recording.start → stop, ${ITERATIONS} iterations, emulator with no injected latency`, rows);
process.exit(0);
