/**
 * The server under test for watch-fanout.ts, in its own process so its memory is measured alone:
 * the real app on an SQLite file, with the emulator as Agora. Prints one JSON line with its URLs.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeApp, createAgoraClient, createSqliteStore, createSilentLogger } from '@agora-backend/server';
import { createEmulator } from '@agora-backend/server/testing';
import { answerMemoryCommands } from './memory-commands.js';

const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CERT = '5cfd2fd1755d40ecb72977518be15d3b';
const pollIntervalMs = Number(process.env.BENCH_POLL_MS ?? 2_000);

const dir = await mkdtemp(join(tmpdir(), 'bench-fanout-'));
const emulator = createEmulator({
  appId: APP_ID,
  appCertificate: CERT,
  customerId: 'bench',
  customerSecret: 'bench-secret',
  storageDir: join(dir, 'storage'),
  timing: { statusStepMs: 0 },
  limits: { requestsPerSecond: 0, maxConcurrentRecordings: 1_000 },
});
const emulatorUrl = await emulator.listen();
const store = await createSqliteStore(join(dir, 'registry.sqlite'));
const agora = createAgoraClient({ appId: APP_ID, customerId: 'bench', customerSecret: 'bench-secret', baseUrls: [emulatorUrl] });
const app = composeApp(
  {
    host: '127.0.0.1',
    port: 0,
    appId: APP_ID,
    appCertificate: CERT,
    subscriptionsPerConnection: 10_000,
    connectionsPerIp: 1_000_000,
    wsConnectionsPerIp: 100_000,
    recording: {
      storage: { vendor: 1, region: 0, bucket: 'bench', accessKey: 'a', secretKey: 'b' },
      uidRange: { min: 4_000_000_000, max: 4_294_967_295 },
      defaultMaxDurationSeconds: 3_600,
      watchdogIntervalMs: 3_600_000,
      pollIntervalMs,
      confirmDelayMs: 200,
    },
  },
  { logger: createSilentLogger(), agora, store },
);
const { url, wsUrl } = await app.listen();
process.stdout.write(`${JSON.stringify({ url, wsUrl, emulatorUrl, pid: process.pid })}\n`);
answerMemoryCommands();
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => emulator.close())
    .then(() => process.exit(0));
});
