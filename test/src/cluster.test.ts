import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeClient, createClient } from '@agora-backend/client/node';
import { createEmulator } from '@agora-backend/server/testing';
import { DATABASE_URL, freshSchema } from './helpers/postgres.js';
import { runEntryPoint, type RunningProcess } from './helpers/process.js';
import { TEST_APP_CERTIFICATE, TEST_APP_ID } from './helpers/server.js';
import { collect } from './helpers/subscribers.js';

const schema = freshSchema('cluster');
const processes: RunningProcess[] = [];
afterAll(() => {
  for (const server of processes) server.child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('several instances on PostgreSQL', () => {
  it('start on A, watch on B, one poller per recording, B takes over when A is killed, stop on B', async () => {
    const emulator = createEmulator({
      appId: TEST_APP_ID,
      appCertificate: TEST_APP_CERTIFICATE,
      customerId: 'cluster',
      customerSecret: 'cluster-secret',
      storageDir: await mkdtemp(join(tmpdir(), 'cluster-storage-')),
      timing: { statusStepMs: 0 },
      // Agora's own limit: a cluster that ignored its shared budget would meet 429s here.
      limits: { requestsPerSecond: 10 },
    });
    const emulatorUrl = await emulator.listen();
    const env = async () => ({
      PORT: '0',
      DATA_DIR: await mkdtemp(join(tmpdir(), 'cluster-node-')),
      LOG_FORMAT: 'json',
      AGORA_APP_ID: TEST_APP_ID,
      AGORA_APP_CERTIFICATE: TEST_APP_CERTIFICATE,
      AGORA_CUSTOMER_ID: 'cluster',
      AGORA_CUSTOMER_SECRET: 'cluster-secret',
      AGORA_API_URL: emulatorUrl,
      STORAGE_VENDOR: '1',
      STORAGE_REGION: '0',
      STORAGE_BUCKET: 'cluster-bucket',
      STORAGE_ACCESS_KEY: 'ak',
      STORAGE_SECRET_KEY: 'sk',
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      POLL_INTERVAL_SECONDS: '1',
      WATCHDOG_INTERVAL_SECONDS: '1',
    });
    const a = runEntryPoint('server/src/main.ts', await env());
    processes.push(a);
    const urlA = String((await a.waitForLog((line) => String(line.msg).startsWith('Listening on'))).url);
    const b = runEntryPoint('server/src/main.ts', await env());
    processes.push(b);
    const urlB = String((await b.waitForLog((line) => String(line.msg).startsWith('Listening on'))).url);
    const clientA = createClient({ url: urlA });
    const clientB = createClient({ url: urlB });
    try {
      emulator.control.join('cluster-room', '100');
      const started = await clientA.recording.start.mutate({ channel: 'cluster-room' });
      const watcher = collect(clientB, started.id);
      // B's watcher sees what A's poller found: events cross instances.
      await expect.poll(() => watcher.events.map((event) => event.data.state), { timeout: 10_000 }).toContain('recording');
      expect(watcher.events.find((event) => event.data.state === 'recording')?.data.source).toBe('poll');

      // With both up, one poller: about one query per second for the one recording.
      emulator.control.clearRequests();
      await sleep(4_000);
      const bothUp = emulator.control.requestCounts().query ?? 0;
      expect(bothUp).toBeGreaterThanOrEqual(3);
      expect(bothUp).toBeLessThanOrEqual(5);

      // A dies without a word; B's watchdog takes the recording's lease and polls it.
      a.child.kill('SIGKILL');
      await a.exited;
      await sleep(2_000);
      emulator.control.clearRequests();
      await sleep(4_000);
      const afterTakeover = emulator.control.requestCounts().query ?? 0;
      expect(afterTakeover).toBeGreaterThanOrEqual(3);
      expect(afterTakeover).toBeLessThanOrEqual(5);

      // Resume on B with lastEventId, then stop on B: the stream ends at stopped.
      const resumed = collect(clientB, started.id, watcher.events[0]!.id);
      await expect.poll(() => resumed.events.length).toBeGreaterThan(0);
      const stopped = await clientB.recording.stop.mutate({ id: started.id });
      expect(stopped).toMatchObject({ state: 'stopped', alreadyStopped: false });
      await expect.poll(() => watcher.completed && resumed.completed, { timeout: 10_000 }).toBe(true);
      expect(watcher.events.at(-1)!.data.state).toBe('stopped');
      expect(resumed.events.map((event) => event.id)).toEqual(watcher.events.slice(1).map((event) => event.id));
      expect(emulator.control.requests().filter((entry) => entry.status === 429)).toEqual([]);
    } finally {
      await closeClient(clientA);
      await closeClient(clientB);
      b.child.kill('SIGTERM');
      await b.exited;
      await emulator.close();
    }
  }, 60_000);
});
