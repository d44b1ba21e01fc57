import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgoraClient } from '../agora/index.js';
import { systemClock } from '../clock.js';
import { createInMemoryBus } from '../events/index.js';
import { createSilentLogger } from '../logger.js';
import { createPostgresStore } from '../store/postgres.js';
import { createSqliteStore } from '../store/sqlite.js';
import { freshTaskLife, type AgentEvent, type AgentRecord, type Registry } from '../store/index.js';
import { createConversationKeeper } from './conversation.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `convo_${randomBytes(6).toString('hex')}`;
afterAll(async () => {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

/** An instance's keeper on its own registry (its own pool): Agora is not asked, the history is handed in. */
function keeperOn(store: Registry) {
  const bus = createInMemoryBus<AgentEvent>((event) => event.agentTaskId);
  return createConversationKeeper({ store: store.agents, agora: {} as AgoraClient, clock: systemClock, logger: createSilentLogger(), bus });
}

function agent(index: number): AgentRecord {
  return {
    id: `agent-${index}-${randomBytes(4).toString('hex')}`,
    channel: `convo-${index}`,
    uid: String(1000 + index),
    owner: 'test',
    state: 'running',
    agentId: `agora-${index}`,
    agoraStatus: 'RUNNING',
    profile: 'default',
    options: {},
    tokenExpiresAt: null,
    turnsComplete: false,
    ...freshTaskLife(systemClock.now()),
  };
}

const said = (...contents: string[]) => contents.map((content) => ({ role: 'user', content }));

describe('the kept conversation on PostgreSQL, merged by two instances at once', () => {
  it('numbers every message once and in order, and logs it once, however the merges interleave', async () => {
    const [a, b] = [await createPostgresStore({ url: DATABASE_URL, schema }), await createPostgresStore({ url: DATABASE_URL, schema })];
    try {
      const [keepA, keepB] = [keeperOn(a), keeperOn(b)];
      const records = Array.from({ length: 12 }, (_, index) => agent(index));
      for (const record of records) await a.agents.insert(record);
      const contents = async (record: AgentRecord) => (await b.agents.conversation.messages(record.id)).map((message) => message.content);
      const logged = async (record: AgentRecord) =>
        (await a.agents.eventsAfter(record.id, 0)).flatMap((event) => (event.message ? [event.message.content] : []));

      // Both instances read the same window at the same moment: each message is new to one of them only.
      await Promise.all(
        records.map((record) =>
          Promise.all([keepA.merge(record, said('m1', 'm2'), 'poll'), keepB.merge(record, said('m1', 'm2'), 'poll')]),
        ),
      );
      for (const record of records) {
        expect(await contents(record)).toEqual(['m1', 'm2']);
        expect(await logged(record)).toEqual(['m1', 'm2']);
      }

      // Windows that share nothing (the history slid on between the reads): neither number may take the other's place.
      await Promise.all(
        records.map((record) =>
          Promise.all([keepA.merge(record, said('m3', 'm4'), 'poll'), keepB.merge(record, said('m5', 'm6'), 'webhook')]),
        ),
      );
      for (const record of records) {
        const kept = await b.agents.conversation.messages(record.id);
        expect(kept.map((message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6]);
        const order = kept.map((message) => message.content);
        // One merge after the other, whichever came first.
        expect([
          ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'],
          ['m1', 'm2', 'm5', 'm6', 'm3', 'm4'],
        ]).toContainEqual(order);
        expect(await logged(record)).toEqual(order);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});

/** Every order of `items`. */
function orders<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) => orders([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

/** A conversation of alternating speakers, as Agora's history holds it. */
const conversationOf = (...contents: string[]) =>
  contents.map((content, index) => ({ role: index % 2 === 0 ? 'user' : 'assistant', content }));

describe.each([
  ['SQLite', async () => createSqliteStore(join(await mkdtemp(join(tmpdir(), 'convo-')), 'registry.sqlite'))],
  ['PostgreSQL', () => createPostgresStore({ url: DATABASE_URL, schema })],
] as const)('the kept conversation on %s, from windows merged in any order', (_name, open) => {
  it('keeps each message once and in Agora order, however overlapping windows come', async () => {
    const store = await open();
    try {
      const keep = keeperOn(store);
      const history = conversationOf('m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8');
      // Windows of Agora's sliding history (at most 4 messages), read at different moments.
      const windows = [history.slice(0, 2), history.slice(0, 4), history.slice(2, 6), history.slice(4, 8), history.slice(3, 7)];
      let tried = 0;
      for (const order of orders(windows)) {
        // Only orders where each window overlaps what is kept: windows that share nothing cannot be placed.
        const known = new Set<string>();
        const placeable = order.every((window, index) => {
          const overlaps = index === 0 || window.some((message) => known.has(message.content));
          for (const message of window) known.add(message.content);
          return overlaps;
        });
        if (!placeable) continue;
        tried++;
        const record = agent(100 + tried);
        await store.agents.insert(record);
        for (const window of order) await keep.merge(record, window, 'poll');
        const kept = await store.agents.conversation.messages(record.id);
        expect(kept.map((message) => message.content)).toEqual(history.map((message) => message.content));
        expect(kept.map((message) => message.role)).toEqual(history.map((message) => message.role));
        expect(new Set(kept.map((message) => message.seq)).size).toBe(history.length);
        // Each message logged once (agent.watch streams each once).
        const logged = (await store.agents.eventsAfter(record.id, 0)).flatMap((event) => (event.message ? [event.message.content] : []));
        expect([...logged].sort()).toEqual(history.map((message) => message.content).sort());
      }
      expect(tried).toBe(50);
    } finally {
      await store.close();
    }
  });

  it('keeps a repeated exchange as new and an older window with repeats as nothing new', async () => {
    const store = await open();
    try {
      const keep = keeperOn(store);
      const history = conversationOf('hi', 'hello', 'yes', 'ok', 'yes', 'ok', 'bye', 'bye!');
      const record = agent(5000);
      await store.agents.insert(record);
      // A newer window, then the 103 notice's older one, then newer ones, then a stale poll's answer.
      for (const window of [
        history.slice(0, 4),
        history.slice(0, 3),
        history.slice(2, 6),
        history.slice(1, 5),
        history.slice(4, 8),
        history.slice(2, 6),
      ])
        await keep.merge(record, window, 'poll');
      const kept = await store.agents.conversation.messages(record.id);
      expect(kept.map((message) => message.content)).toEqual(history.map((message) => message.content));
      expect(kept.map((message) => message.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      await store.close();
    }
  });
});
