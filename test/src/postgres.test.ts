import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresLeases, createPostgresStore, createSilentLogger, systemClock } from '@agora-backend/server';
import { DATABASE_URL, freshSchema } from './helpers/postgres.js';
import { startRecordingStack } from './helpers/recording-stack.js';
import { collect, wsConnection } from './helpers/subscribers.js';

const schema = freshSchema('e2e');

describe('the server on PostgreSQL (DATABASE_URL)', () => {
  it('starts, watches and stops a recording with the registry in PostgreSQL', async () => {
    const store = await createPostgresStore({ url: DATABASE_URL, schema });
    const stack = await startRecordingStack({ store });
    const connection = wsConnection(stack.app.wsUrl);
    try {
      stack.emulator.control.join('pg-room', '100');
      const started = await stack.client.recording.start.mutate({ channel: 'pg-room' });
      const watcher = collect(connection.client, started.id);
      await stack.client.recording.query.query({ id: started.id });
      await stack.client.recording.stop.mutate({ id: started.id });
      await expect.poll(() => watcher.completed).toBe(true);
      expect(watcher.events.map((event) => event.data.state)).toEqual(['starting', 'recording', 'stopping', 'stopped']);
      const check = new pg.Client({ connectionString: DATABASE_URL });
      await check.connect();
      const rows = await check.query<{ state: string }>(`select state from ${schema}.recordings where id = $1`, [started.id]);
      await check.end();
      expect(rows.rows).toEqual([{ state: 'stopped' }]);
    } finally {
      await connection.close();
      await stack.close(true);
    }
  });

  it('runs a transcription with the registry in PostgreSQL: rows, events and the bot uid index', async () => {
    const store = await createPostgresStore({ url: DATABASE_URL, schema });
    const stack = await startRecordingStack({ store });
    try {
      const started = await stack.client.transcription.start.mutate({ channel: 'pg-talk', languages: ['en-US'], uid: 321 });
      // The same bot uid in the same channel is refused by the registry's unique index.
      await expect(stack.client.transcription.start.mutate({ channel: 'pg-talk', languages: ['en-US'], uid: 321 })).rejects.toMatchObject({
        data: { appCode: 'UID_CONFLICT' },
      });
      await stack.client.transcription.stop.mutate({ id: started.id });
      const events = await store.transcriptions.eventsAfter(started.id, 0);
      expect(events.map((event) => event.state)).toEqual(['starting', 'running', 'stopping', 'stopped']);
      const check = new pg.Client({ connectionString: DATABASE_URL });
      await check.connect();
      const rows = await check.query<{ state: string; agent_id: string; active: number }>(
        `select state, agent_id, active from ${schema}.transcriptions where id = $1`,
        [started.id],
      );
      await check.end();
      expect(rows.rows).toEqual([{ state: 'stopped', agent_id: started.agentId, active: 0 }]);
    } finally {
      await stack.close(true);
    }
  });
});

describe('several instances in one process on PostgreSQL', () => {
  it('spreads the polling across live instances: a fair share each, and again when one leaves', async () => {
    const namespace = `spread-${schema}`;
    const leases = await Promise.all(
      [0, 1, 2].map(() => createPostgresLeases({ url: DATABASE_URL, namespace, logger: createSilentLogger(), clock: systemClock })),
    );
    // Each instance has its own pool and leases session on the one database (an app closes its store).
    const instance = async (index: number) => ({
      store: await createPostgresStore({ url: DATABASE_URL, schema }),
      leases: leases[index]!,
      pollIntervalMs: 1_000,
      confirmDelayMs: 200,
      watchdogIntervalMs: 300,
    });
    const a = await startRecordingStack(await instance(0));
    const b = await startRecordingStack({ ...(await instance(1)), existingEmulator: a.emulator });
    const c = await startRecordingStack({ ...(await instance(2)), existingEmulator: a.emulator });
    const stacks = [a, b, c];
    const counts = (list: typeof stacks) => list.map((stack) => stack.app.recording!.pollers.count());
    try {
      const ids: string[] = [];
      for (let index = 0; index < 6; index++) {
        a.emulator.control.join(`spread-${index}`, '100');
        ids.push((await a.client.recording.start.mutate({ channel: `spread-${index}` })).id);
      }
      // A started all six; B and C take their share, A lets go of the rest.
      await expect.poll(() => counts(stacks), { timeout: 15_000 }).toEqual([2, 2, 2]);
      for (const id of ids) expect(stacks.filter((stack) => stack.app.recording!.pollers.has(id))).toHaveLength(1);
      // A leaves (its lease session ends with it): B and C share its recordings.
      await a.close();
      await leases[0]!.close();
      await expect.poll(() => counts([b, c]), { timeout: 15_000 }).toEqual([3, 3]);
      for (const id of ids) expect([b, c].filter((stack) => stack.app.recording!.pollers.has(id))).toHaveLength(1);
    } finally {
      await c.close();
      await b.close();
      await a.close(true);
      for (const lease of leases.slice(1)) await lease.close();
    }
  }, 60_000);
});
