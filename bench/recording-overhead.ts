/**
 * recording.start → stop against the emulator with no injected latency: the time our server adds
 * above the emulator's own time for the same Agora calls, measured in the same run, alternating.
 * One iteration = start (acquire + start upstream) then stop (stop upstream).
 *
 *   pnpm bench:recording      (BENCH_ITERATIONS=60)
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import { createEmulator, createTokenIssuer, systemClock } from '../server/src/index.js';
import { TokenGenerateInput } from '../shared/src/index.js';
import type { AppRouter } from '../server/src/index.js';
import { APP_ID, CERT, percentile, printTable, startServer } from './lib.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 60);
const emulator = createEmulator({
  appId: APP_ID,
  appCertificate: CERT,
  customerId: 'bench',
  customerSecret: 'bench-secret',
  storageDir: await mkdtemp(join(tmpdir(), 'bench-rec-')),
  timing: { statusStepMs: 0 },
  limits: { requestsPerSecond: 0, maxConcurrentRecordings: 10_000 },
});
const emulatorUrl = await emulator.listen();
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
const api = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: String(server.line.url), transformer: superjson })] });
const auth = `Basic ${Buffer.from('bench:bench-secret').toString('base64')}`;
const tokens = createTokenIssuer({ appId: APP_ID, appCertificate: CERT, clock: systemClock });
const P = `${emulatorUrl}/v1/apps/${APP_ID}/cloud_recording`;
const post = async (url: string, body: unknown) => {
  const response = await fetch(url, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, string>;
};

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
    clientRequest: { token, storageConfig: { vendor: 1, region: 0, bucket: 'b', accessKey: 'a', secretKey: 'b' }, recordingConfig: { maxIdleTime: 30 }, recordingFileConfig: { avFileType: ['hls'] } },
  });
  const t1 = performance.now();
  await post(`${P}/resourceid/${resourceId}/sid/${sid}/mode/mix/stop`, { cname, uid, clientRequest: {} });
  return { start: t1 - t0, stop: performance.now() - t1 };
}

async function ours(i: number) {
  const t0 = performance.now();
  const started = await api.recording.start.mutate({ channel: `ours${i}` });
  const t1 = performance.now();
  await api.recording.stop.mutate({ id: started.id });
  return { start: t1 - t0, stop: performance.now() - t1 };
}

const samples = { direct: [] as { start: number; stop: number }[], ours: [] as { start: number; stop: number }[] };
for (let i = 0; i < 5; i++) {
  await direct(10_000 + i);
  await ours(10_000 + i);
}
for (let i = 0; i < ITERATIONS; i++) {
  samples.direct.push(await direct(i));
  samples.ours.push(await ours(i));
  // Our server keeps Agora's 10 requests/s; pace the loop under it so no call waits for budget.
  await new Promise((resolve) => setTimeout(resolve, 350));
}
await server.stop();
await emulator.close();

const pick = (list: { start: number; stop: number }[], key: 'start' | 'stop') => list.map((sample) => sample[key]);
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const rows: [string, string][] = [];
for (const key of ['start', 'stop'] as const) {
  const d = pick(samples.direct, key);
  const o = pick(samples.ours, key);
  rows.push([`${key}: emulator alone p50 / p99`, `${fmt(percentile(d, 50))} / ${fmt(percentile(d, 99))}`]);
  rows.push([`${key}: through our server p50 / p99`, `${fmt(percentile(o, 50))} / ${fmt(percentile(o, 99))}`]);
  rows.push([`${key}: our overhead p50 / p99 (target p50 < 3 ms)`, `${fmt(percentile(o, 50) - percentile(d, 50))} / ${fmt(percentile(o, 99) - percentile(d, 99))}`]);
}
printTable(`recording.start → stop, ${ITERATIONS} iterations, emulator with no injected latency`, rows);
process.exit(0);
