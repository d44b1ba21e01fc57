/**
 * The emulator in a process of its own for recording-overhead.ts, as Agora is remote: direct calls
 * and our server's calls then cross a process boundary alike. No injected latency, no 429s.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmulator } from '@agora-backend/server/testing';
import { APP_ID, CERT } from './lib.js';

const emulator = createEmulator({
  appId: APP_ID,
  appCertificate: CERT,
  customerId: 'bench',
  customerSecret: 'bench-secret',
  storageDir: await mkdtemp(join(tmpdir(), 'bench-rec-')),
  timing: { statusStepMs: 0 },
  limits: { requestsPerSecond: 0, maxConcurrentRecordings: 10_000 },
});
process.stdout.write(`${JSON.stringify({ url: await emulator.listen() })}\n`);
process.on('SIGTERM', () => void emulator.close().then(() => process.exit(0)));
