import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '@agora-backend/server';
import { startRecordingStack } from './helpers/recording-stack.js';
import { collect, wsConnection } from './helpers/subscribers.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `e2e_${randomBytes(6).toString('hex')}`;
afterAll(async () => {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

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
      await expect(stack.client.transcription.start.mutate({ channel: 'pg-talk', languages: ['en-US'], uid: 321 })).rejects.toMatchObject({ data: { appCode: 'UID_CONFLICT' } });
      await stack.client.transcription.stop.mutate({ id: started.id });
      const events = await store.transcriptions.eventsAfter(started.id, 0);
      expect(events.map((event) => event.state)).toEqual(['starting', 'running', 'stopping', 'stopped']);
      const check = new pg.Client({ connectionString: DATABASE_URL });
      await check.connect();
      const rows = await check.query<{ state: string; agent_id: string; active: number }>(`select state, agent_id, active from ${schema}.transcriptions where id = $1`, [started.id]);
      await check.end();
      expect(rows.rows).toEqual([{ state: 'stopped', agent_id: started.agentId, active: 0 }]);
    } finally {
      await stack.close(true);
    }
  });
});
