import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from './postgres.js';
import { createSqliteStore } from './sqlite.js';
import { UidTakenError, type RecordingRecord, type Registry } from './index.js';

/** The machine's PostgreSQL (trust auth); each run works in a schema of its own, dropped after. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];
afterAll(async () => {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

const factories: [string, () => Promise<Registry>][] = [
  ['SQLite file', async () => createSqliteStore(join(await mkdtemp(join(tmpdir(), 'store-')), 'registry.sqlite'))],
  [
    'PostgreSQL',
    async () => {
      const schema = `test_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return createPostgresStore({ url: TEST_DATABASE_URL, schema });
    },
  ],
];

let clock = 1_700_000_000_000;
function record(overrides: Partial<RecordingRecord> = {}): RecordingRecord {
  clock += 1_000;
  return {
    id: randomBytes(8).toString('hex'),
    channel: 'room1',
    uid: '4000000001',
    mode: 'mix',
    owner: 'alice',
    state: 'starting',
    resourceId: null,
    sid: null,
    agoraStatus: null,
    files: [],
    uploadingStatus: null,
    options: { channel: 'room1' },
    fileNamePrefix: 'recordings/x',
    maxDurationSeconds: 3600,
    lastError: null,
    createdAt: clock,
    startedAt: null,
    updatedAt: clock,
    stoppedAt: null,
    version: 0,
    notFoundSince: null,
    notFoundLastAt: null,
    ...overrides,
  };
}

describe.each(factories)('the %s registry', (_name, create) => {
  it('stores, updates and reads recordings with their JSON fields intact', async () => {
    const store = await create();
    try {
      const first = record();
      await store.recordings.insert(first);
      expect(await store.recordings.get(first.id)).toEqual(first);
      const updated = await store.recordings.update(
        first.id,
        {
          state: 'recording',
          resourceId: 'RID',
          sid: 'SID',
          agoraStatus: 5,
          files: [
            {
              fileName: 'SID_room1.m3u8',
              trackType: 'audio_and_video',
              uid: '0',
              mixedAllUser: true,
              isPlayable: true,
              sliceStartTime: 1_700_000_000_123,
            },
          ],
          lastError: { message: 'x', agora: { httpStatus: 404, code: 404, reason: 'failed to find worker' } },
          startedAt: clock,
        },
        clock + 5,
      );
      expect(updated).toMatchObject({ state: 'recording', sid: 'SID', agoraStatus: 5, updatedAt: clock + 5, startedAt: clock });
      expect(updated?.files[0]?.sliceStartTime).toBe(1_700_000_000_123);
      expect(await store.recordings.findBySession('RID', 'SID')).toEqual(updated);
      expect(await store.recordings.findBySid('SID')).toEqual(updated);
      expect(await store.ping()).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('refuses a second active recording with the same channel and uid, and frees the uid when it ends', async () => {
    const store = await create();
    try {
      const first = record({ uid: '4000000002' });
      await store.recordings.insert(first);
      await expect(store.recordings.insert(record({ uid: '4000000002' }))).rejects.toThrow(UidTakenError);
      await store.recordings.insert(record({ uid: '4000000002', channel: 'room2' }));
      expect(await store.recordings.activeUids('room1')).toEqual(new Set(['4000000002']));
      await store.recordings.update(first.id, { state: 'stopped' }, clock);
      expect(await store.recordings.activeUids('room1')).toEqual(new Set());
      await store.recordings.insert(record({ uid: '4000000002' }));
      expect((await store.recordings.listActive()).map((r) => r.channel).sort()).toEqual(['room1', 'room2']);
    } finally {
      await store.close();
    }
  });

  it('lists newest first with filters and a cursor', async () => {
    const store = await create();
    try {
      const made = [];
      for (let i = 0; i < 5; i++) {
        const r = record({
          uid: String(4_000_000_100 + i),
          owner: i % 2 === 0 ? 'alice' : 'bob',
          state: i === 0 ? 'stopped' : 'recording',
        });
        made.push(r);
        await store.recordings.insert(r);
      }
      const page1 = await store.recordings.list({ limit: 2 });
      expect(page1.items.map((r) => r.id)).toEqual([made[4]!.id, made[3]!.id]);
      const page2 = await store.recordings.list({ limit: 2, cursor: page1.nextCursor! });
      expect(page2.items.map((r) => r.id)).toEqual([made[2]!.id, made[1]!.id]);
      const page3 = await store.recordings.list({ limit: 2, cursor: page2.nextCursor! });
      expect(page3).toEqual({ items: [made[0]], nextCursor: null });
      expect((await store.recordings.list({ limit: 10, owner: 'bob' })).items.map((r) => r.id)).toEqual([made[3]!.id, made[1]!.id]);
      expect((await store.recordings.list({ limit: 10, state: 'stopped' })).items.map((r) => r.id)).toEqual([made[0]!.id]);
    } finally {
      await store.close();
    }
  });

  it('keeps an ordered event log per recording', async () => {
    const store = await create();
    try {
      const r = record();
      // The intent row and its first event are written together.
      const a = await store.recordings.insert(r);
      expect(a).toMatchObject({ recordingId: r.id, at: r.createdAt, state: 'starting', agoraStatus: null, files: [], source: 'api' });
      const b = await store.recordings.appendEvent({
        recordingId: r.id,
        at: 2,
        state: 'recording',
        agoraStatus: 5,
        files: [{ fileName: 'f.m3u8' }],
        source: 'poll',
        lastError: null,
      });
      expect(b.id).toBeGreaterThan(a.id);
      expect(await store.recordings.eventsAfter(r.id, undefined)).toEqual([a, b]);
      expect(await store.recordings.eventsAfter(r.id, a.id)).toEqual([b]);
      expect(await store.recordings.latestEvent(r.id)).toEqual(b);
      expect(await store.recordings.latestEvent('none')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
