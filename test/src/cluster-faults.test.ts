import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { closeClient, createClient } from '@agora-backend/client/node';
import { createEmulator } from '@agora-backend/server/testing';
import { DATABASE_URL, freshSchema } from './helpers/postgres.js';
import { runEntryPoint, type RunningProcess } from './helpers/process.js';
import { TEST_APP_CERTIFICATE, TEST_APP_ID } from './helpers/server.js';
import { collect, sseClient, type Collected } from './helpers/subscribers.js';
import { createTcpProxy } from './helpers/tcp-proxy.js';

/**
 * Several instances on PostgreSQL when the database misbehaves: sessions terminated one kind at a
 * time (pg_terminate_backend, as an operator or a failover does), then the database unreachable
 * for one instance. Nothing may end the process, no event may be lost or repeated, and only one
 * instance may call Agora about a recording at a time.
 */

const schema = freshSchema('faults');
const processes: RunningProcess[] = [];
afterAll(() => {
  for (const server of processes) server.child.kill('SIGKILL');
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function admin<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Terminates the sessions of one instance (those behind the proxy) whose application name ends with this role. */
async function terminate(ports: number[], applicationName: string | undefined): Promise<number> {
  const rows = await admin<{ pid: number }>(
    `select pg_terminate_backend(pid) as ok, pid from pg_stat_activity where client_port = any($1::int[]) and ($2::text is null or application_name like '% ' || $2)`,
    [ports, applicationName ?? null],
  );
  return rows.length;
}

/** Each watcher saw every event the registry logged after its first one, once and in order. */
async function expectExactlyTheLog(watcher: Collected, recordingId: string) {
  const logged = (
    await admin<{ id: string }>(`select id from ${schema}.recording_events where recording_id = $1 order by id`, [recordingId])
  ).map((row) => row.id);
  const seen = watcher.events.map((event) => event.id);
  expect(seen).toEqual(logged.slice(logged.indexOf(seen[0]!)));
  expect(watcher.events.filter((event) => event.data.state === 'stopped')).toHaveLength(1);
}

describe('several instances when PostgreSQL misbehaves', () => {
  it('survives terminated sessions of every kind and an unreachable database, and hands the recording over cleanly', async () => {
    const emulator = createEmulator({
      appId: TEST_APP_ID,
      appCertificate: TEST_APP_CERTIFICATE,
      customerId: 'faults',
      customerSecret: 'faults-secret',
      storageDir: await mkdtemp(join(tmpdir(), 'faults-storage-')),
      timing: { statusStepMs: 0 },
      limits: { requestsPerSecond: 10 },
    });
    const emulatorUrl = await emulator.listen();
    const proxy = await createTcpProxy({ host: '127.0.0.1', port: 5432 });
    const env = async (databaseUrl: string) => ({
      PORT: '0',
      DATA_DIR: await mkdtemp(join(tmpdir(), 'faults-node-')),
      LOG_FORMAT: 'json',
      AGORA_APP_ID: TEST_APP_ID,
      AGORA_APP_CERTIFICATE: TEST_APP_CERTIFICATE,
      AGORA_CUSTOMER_ID: 'faults',
      AGORA_CUSTOMER_SECRET: 'faults-secret',
      AGORA_API_URL: emulatorUrl,
      STORAGE_VENDOR: '1',
      STORAGE_REGION: '0',
      STORAGE_BUCKET: 'faults-bucket',
      STORAGE_ACCESS_KEY: 'ak',
      STORAGE_SECRET_KEY: 'sk',
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: schema,
      POLL_INTERVAL_SECONDS: '1',
      WATCHDOG_INTERVAL_SECONDS: '1',
    });
    // A reaches the database through the proxy (so the test can cut it); B directly.
    const a = runEntryPoint('server/src/main.ts', await env(`postgres://postgres@127.0.0.1:${proxy.port}/test`));
    processes.push(a);
    const urlA = String((await a.waitForLog((line) => String(line.msg).startsWith('Listening on'))).url);
    const b = runEntryPoint('server/src/main.ts', await env(DATABASE_URL));
    processes.push(b);
    const urlB = String((await b.waitForLog((line) => String(line.msg).startsWith('Listening on'))).url);
    const instanceB = String((await b.waitForLog((line) => String(line.msg).startsWith('cluster mode'))).instanceId);
    let exitedA: number | string | undefined;
    void a.exited.then((code) => (exitedA = code));
    const ready = async (url: string) => (await fetch(url.replace(/\/trpc$/, '/readyz'))).status;
    const clientA = createClient({ url: urlA });
    const clientB = createClient({ url: urlB });
    try {
      emulator.control.join('fault-room', '100');
      const started = await clientA.recording.start.mutate({ channel: 'fault-room' });
      const watchA = collect(sseClient(urlA), started.id);
      const watchB = collect(clientB, started.id);
      await expect
        .poll(
          () =>
            watchA.events.some((event) => event.data.state === 'recording') &&
            watchB.events.some((event) => event.data.state === 'recording'),
          { timeout: 10_000 },
        )
        .toBe(true);

      // One kind of session at a time: the process stays up and comes back ready.
      for (const name of ['listen', 'lease', 'registry', 'budget', undefined]) {
        const count = await terminate(proxy.upstreamPorts(), name);
        if (name === 'listen' || name === 'lease' || name === undefined) expect(count, String(name)).toBeGreaterThan(0);
        await sleep(1_500);
        expect(exitedA, `after terminating ${name ?? 'every session'}`).toBeUndefined();
        await expect.poll(() => ready(urlA), { timeout: 15_000 }).toBe(200);
        expect((await clientA.recording.get.query({ id: started.id })).state).toBe('recording');
      }

      // The database unreachable for A: it says so (503) instead of failing or exiting, and B,
      // whose sessions live, takes the recording over; from then on only B asks Agora about it.
      proxy.down();
      await expect.poll(() => ready(urlA), { timeout: 15_000 }).toBe(503);
      const refused = await clientA.recording.get.query({ id: started.id }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ data: { appCode: 'REGISTRY_UNAVAILABLE', httpStatus: 503 } });
      await sleep(4_000);
      emulator.control.clearRequests();
      await sleep(3_000);
      const queries = emulator.control.requests().filter((entry) => entry.endpoint === 'query');
      expect(queries.length).toBeGreaterThanOrEqual(2);
      expect(new Set(queries.map((entry) => entry.client))).toEqual(new Set([`agora-backend (instance ${instanceB})`]));
      expect(exitedA).toBeUndefined();

      proxy.up();
      await expect.poll(() => ready(urlA), { timeout: 15_000 }).toBe(200);
      const stopped = await clientA.recording.stop.mutate({ id: started.id });
      expect(stopped).toMatchObject({ state: 'stopped', alreadyStopped: false });
      expect(emulator.control.requestCounts().stop).toBe(1);
      await expect.poll(() => watchA.completed && watchB.completed, { timeout: 15_000 }).toBe(true);
      await expectExactlyTheLog(watchA, started.id);
      await expectExactlyTheLog(watchB, started.id);
      expect(emulator.control.requests().filter((entry) => entry.status === 429)).toEqual([]);
      expect(exitedA).toBeUndefined();
    } finally {
      await closeClient(clientA);
      await closeClient(clientB);
      for (const server of [a, b]) server.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
      await proxy.close();
      await emulator.close();
    }
  }, 120_000);
});
