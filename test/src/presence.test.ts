import { createHmac } from 'node:crypto';
import { watchChannel, type ChannelPresenceEvent, type WatchHandle } from '@agora-backend/client';
import { createApiKeyAuth, createPostgresStore, hashApiKey } from '@agora-backend/server';
import { createFakeClock } from '@agora-backend/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_URL, freshSchema } from './helpers/postgres.js';
import { startRecordingStack, type RecordingStack, type StackOptions } from './helpers/recording-stack.js';
import { wsConnection } from './helpers/subscribers.js';

/**
 * Presence (channel.watch, channel.sessions) from Agora's channel event notices (productId 1), sent
 * by the emulator to the server's own webhook or signed here, and reconciled with the user list.
 */

const SECRET = 'whsec-presence-test';
const schema = freshSchema('presence');
/** Stacks to close after each test; `all` for the one that owns the emulator and temp folders (closed last). */
const stacks: { stack: RecordingStack; all: boolean }[] = [];
const handles: WatchHandle[] = [];
afterEach(async () => {
  for (const handle of handles.splice(0)) handle.stop();
  for (const { stack, all } of stacks.splice(0).reverse()) await stack.close(all);
});

/** Points the emulator's notices at this stack's webhook. */
const target = (s: RecordingStack) => s.emulator.control.setNotificationTarget({ url: `${s.app.baseUrl}/webhooks/agora`, secret: SECRET });

async function presenceStack(options: StackOptions = {}, channelEvents = true): Promise<RecordingStack> {
  const s = await startRecordingStack({ webhookSecret: SECRET, emulator: { channelEvents }, ...options });
  target(s);
  stacks.push({ stack: s, all: options.existingEmulator === undefined });
  return s;
}

/**
 * Watches a channel through the client's watchChannel and keeps what arrives. The stack's client
 * has no WebSocket on Node 20, so this is SSE; the restart test watches over WebSocket.
 */
function watch(s: RecordingStack, channel: string) {
  const seen: { id: string; event: ChannelPresenceEvent }[] = [];
  const errors: unknown[] = [];
  handles.push(
    watchChannel(s.client, channel, { onEvent: (event, id) => seen.push({ id, event }), onError: (error) => errors.push(error) }),
  );
  return { seen, errors };
}

/** What a watch saw, without times (they are the emulator's and the server's clocks). */
const shape = (event: ChannelPresenceEvent) =>
  event.type === 'snapshot'
    ? { type: 'snapshot', members: event.members.map((member) => [member.uid, member.role, member.source]) }
    : event.type === 'leave'
      ? { type: 'leave', uid: event.uid, role: event.role, reason: event.reason, source: event.source }
      : { type: event.type, uid: event.uid, role: event.role, source: event.source };

const sign = (body: string) => createHmac('sha256', SECRET).update(body).digest('hex');
let noticeCount = 0;
/** A channel event notice as Agora sends it, signed; `noticeId` to send one again. */
async function sendNotice(
  s: RecordingStack,
  eventType: number,
  payload: Record<string, unknown>,
  noticeId = `p-${++noticeCount}`,
  productId = 1,
  notifyMs = Date.now(),
) {
  const body = JSON.stringify({ noticeId, productId, eventType, notifyMs, payload });
  const response = await fetch(`${s.app.baseUrl}/webhooks/agora`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'agora-signature-v2': sign(body) },
    body,
  });
  expect(response.status, `${noticeId}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as { ok: boolean; duplicate?: boolean };
}

describe('presence from channel event notices', () => {
  it('channel.watch sees each join, role change and leave once, in order, and channel.get agrees', async () => {
    const s = await presenceStack();
    const { control } = s.emulator;
    const live = watch(s, 'room-p');
    await expect.poll(() => live.seen.length).toBe(1);
    expect(shape(live.seen[0]!.event)).toEqual({ type: 'snapshot', members: [] });

    expect(control.join('room-p', '11', { role: 'host', platform: 7 })).toEqual({ ok: true });
    expect(control.join('room-p', '12', { role: 'audience', platform: 1 })).toEqual({ ok: true });
    expect(control.setRole('room-p', '12', 'host')).toEqual({ ok: true });
    expect(control.leave('room-p', '11')).toBe(true);
    await control.notifications.settle();
    await expect.poll(() => live.seen.length).toBe(5);
    expect(live.seen.slice(1).map((item) => shape(item.event))).toEqual([
      { type: 'join', uid: 11, role: 'host', source: 'event' },
      { type: 'join', uid: 12, role: 'audience', source: 'event' },
      { type: 'role', uid: 12, role: 'host', source: 'event' },
      { type: 'leave', uid: 11, role: 'host', reason: 'quit', source: 'event' },
    ]);
    const ids = live.seen.map((item) => Number(item.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const join = live.seen[1]!.event;
    expect(join).toMatchObject({ platform: 7 });

    // A second watcher's membership is what Agora's user list says.
    const second = watch(s, 'room-p');
    await expect.poll(() => second.seen.length).toBe(1);
    // channel.get may answer from its 2 s cache (the watch's first comparison read the channel empty).
    await expect
      .poll(
        async () => {
          const got = await s.client.channel.get.query({ channel: 'room-p' });
          return { exists: got.exists, hosts: got.hosts, audience: got.audience };
        },
        { timeout: 10_000 },
      )
      .toEqual({ exists: true, hosts: [12], audience: [] });
    expect(shape(second.seen[0]!.event)).toEqual({ type: 'snapshot', members: [[12, 'host', 'event']] });

    const sessions = await s.client.channel.sessions.query({ channel: 'room-p', uid: 11 });
    expect(sessions.items).toHaveLength(1);
    expect(sessions.items[0]).toMatchObject({ uid: 11, role: 'host', leaveReason: 'quit', source: 'event', platform: 7 });
    expect(sessions.items[0]!.leftAt).not.toBeNull();
    expect(sessions.items[0]!.durationMs).toBe(sessions.items[0]!.leftAt! - sessions.items[0]!.joinedAt);
    const open = await s.client.channel.sessions.query({ channel: 'room-p', uid: 12 });
    expect(open.items.map((item) => [item.uid, item.leftAt, item.leaveReason])).toEqual([[12, null, null]]);
  });

  it('works with a webhook secret and no Cloud Recording configured: the route is there, and other products are ignored', async () => {
    const s = await presenceStack({ noRecording: true });
    const { control } = s.emulator;
    const live = watch(s, 'room-nr');
    await expect.poll(() => live.seen.length).toBe(1);
    expect(control.join('room-nr', '21', { role: 'host', platform: 7 })).toEqual({ ok: true });
    expect(control.leave('room-nr', '21')).toBe(true);
    await control.notifications.settle();
    await expect.poll(() => live.seen.length).toBe(3);
    expect(live.seen.slice(1).map((item) => shape(item.event))).toEqual([
      { type: 'join', uid: 21, role: 'host', source: 'event' },
      { type: 'leave', uid: 21, role: 'host', reason: 'quit', source: 'event' },
    ]);
    const sessions = await s.client.channel.sessions.query({ channel: 'room-nr' });
    expect(sessions.items.map((item) => [item.uid, item.leftAt !== null])).toEqual([[21, true]]);
    // A Cloud Recording notice is verified, remembered and ignored: there are no recordings here.
    expect(await sendNotice(s, 40, { sid: 'no-such-sid', serviceType: 0 }, 'nr-rec-1', 3)).toEqual({ ok: true });
    expect(await sendNotice(s, 40, { sid: 'no-such-sid', serviceType: 0 }, 'nr-rec-1', 3)).toEqual({ ok: true, duplicate: true });
    await expect(s.client.recording.list.query({})).rejects.toThrow('Cloud Recording is not configured on this server');
  });

  it('channel.sessions with since and until lists every stay that overlaps the window', async () => {
    const s = await presenceStack({}, false);
    const ts0 = Math.floor(Date.now() / 1000) - 3600;
    const minutes = (n: number) => (ts0 + n * 60) * 1000;
    const user = { channelName: 'room-w', platform: 7 };
    s.emulator.control.join('room-w', '52', { role: 'host' });
    await sendNotice(s, 103, { ...user, uid: 51, ts: ts0, clientSeq: 1 });
    await sendNotice(s, 104, { ...user, uid: 51, ts: ts0 + 600, clientSeq: 2, reason: 1 });
    await sendNotice(s, 103, { ...user, uid: 52, ts: ts0 + 1200, clientSeq: 1 });
    const window = async (since: number, until: number) =>
      (await s.client.channel.sessions.query({ channel: 'room-w', since, until })).items.map((item) => item.uid);
    await expect.poll(() => window(minutes(0), minutes(30))).toEqual([52, 51]);
    expect(await window(minutes(5), minutes(15))).toEqual([51]);
    expect(await window(minutes(15), minutes(18))).toEqual([]);
    expect(await window(minutes(15), minutes(30))).toEqual([52]);
    expect(await window(minutes(10), minutes(10))).toEqual([51]);
  });

  it('history past its retention is forgotten at a later notice; who is here now is kept', async () => {
    const clock = createFakeClock(Date.now());
    const s = await presenceStack({ clock, presenceRetentionMs: 86_400_000 }, false);
    const send = (eventType: number, payload: Record<string, unknown>) =>
      sendNotice(
        s,
        eventType,
        { channelName: 'room-r', platform: 7, ts: Math.floor(clock.now() / 1000), ...payload },
        undefined,
        1,
        clock.now(),
      );
    s.emulator.control.join('room-r', '62', { role: 'host' });
    await send(103, { uid: 61, clientSeq: 1 });
    await send(103, { uid: 62, clientSeq: 1 });
    await send(104, { uid: 61, clientSeq: 2, reason: 1 });
    const uids = async () => (await s.client.channel.sessions.query({ channel: 'room-r' })).items.map((item) => item.uid);
    await expect.poll(uids).toEqual([62, 61]);

    await clock.advance(2 * 86_400_000);
    s.emulator.control.join('room-r', '63', { role: 'host' });
    await send(103, { uid: 63, clientSeq: 1 });
    await expect
      .poll(async () => (await s.store.presence.eventsAfter('room-r', 0)).map((event) => [event.kind, event.uid]))
      .toEqual([['join', 63]]);
    // 61's stay ended two days ago and is gone; 62 is still here, so their stay is kept.
    expect(await uids()).toEqual([63, 62]);
    const live = watch(s, 'room-r');
    await expect.poll(() => live.seen.length).toBe(1);
    expect(shape(live.seen[0]!.event)).toEqual({
      type: 'snapshot',
      members: [
        [62, 'host', 'event'],
        [63, 'host', 'event'],
      ],
    });
  });

  it('a late older notice never undoes a newer one, and a repeated notice is applied once', async () => {
    const s = await presenceStack({}, false);
    const ts = Math.floor(Date.now() / 1000);
    const user = { channelName: 'room-o', uid: 42, platform: 7, ts };
    await sendNotice(s, 103, { ...user, clientSeq: 5 });
    const leave = await sendNotice(s, 104, { ...user, clientSeq: 7, reason: 1 }, 'p-leave-42');
    expect(leave).toEqual({ ok: true });
    expect(await sendNotice(s, 104, { ...user, clientSeq: 7, reason: 1 }, 'p-leave-42')).toEqual({ ok: true, duplicate: true });
    // Sent after the leave, older than it (clientSeq 6): must not bring uid 42 back.
    await sendNotice(s, 105, { ...user, clientSeq: 6 });
    // A later user's join tells us everything sent before it has been applied.
    await sendNotice(s, 103, { ...user, uid: 43, clientSeq: 9 });
    await expect.poll(async () => (await s.store.presence.eventsAfter('room-o', 0)).length).toBe(3);
    const events = await s.store.presence.eventsAfter('room-o', 0);
    expect(events.map((event) => [event.uid, event.kind, event.role])).toEqual([
      [42, 'join', 'host'],
      [42, 'leave', 'host'],
      [43, 'join', 'host'],
    ]);
    const snapshot = await s.store.presence.snapshot('room-o');
    expect(snapshot.members.map((member) => member.uid)).toEqual([43]);
    const sessions = await s.store.presence.sessions('room-o', { uid: 42, limit: 10 });
    expect(sessions.map((session) => [session.joinedAt, session.leftAt, session.leaveReason])).toEqual([[ts * 1000, ts * 1000, 'quit']]);

    // A newer one does apply: a rejoin in the next second (clientSeq starts over for a new session).
    await sendNotice(s, 105, { ...user, ts: ts + 1, clientSeq: 1 });
    await expect.poll(async () => (await s.store.presence.snapshot('room-o')).members.map((member) => member.uid)).toEqual([43, 42]);

    // The channel ends: whoever has no newer notice leaves with it.
    await sendNotice(s, 102, { channelName: 'room-o', lastUid: 42, ts: ts + 2 });
    await expect.poll(async () => (await s.store.presence.snapshot('room-o')).members).toEqual([]);
    const ended = await s.store.presence.sessions('room-o', { limit: 10 });
    expect(ended.map((session) => [session.uid, session.leftAt, session.leaveReason])).toEqual([
      [42, (ts + 2) * 1000, 'channel_destroyed'],
      [43, (ts + 2) * 1000, 'channel_destroyed'],
      [42, ts * 1000, 'quit'],
    ]);

    // A member Agora's list does not know of (the emulator has no such channel) is left at the first read.
    await sendNotice(s, 103, { ...user, uid: 44, ts: ts + 3, clientSeq: 1 });
    await expect.poll(async () => (await s.store.presence.snapshot('room-o')).members.map((member) => member.uid)).toEqual([44]);
    const read = await s.client.channel.sessions.query({ channel: 'room-o', uid: 44 });
    expect(read.items.map((item) => [item.uid, item.leaveReason, item.source])).toEqual([[44, 'reconciled', 'event']]);
    expect((await s.store.presence.snapshot('room-o')).members).toEqual([]);
  });

  it("lost notices are reconciled from Agora's user list when the channel is watched", async () => {
    const s = await presenceStack({ presenceReconcileMs: 0 });
    const { control } = s.emulator;
    // One join with channel events off, one whose notice is dropped on the way.
    control.setChannelEvents(false);
    expect(control.join('room-r', '21', { role: 'host' })).toEqual({ ok: true });
    control.setChannelEvents(true);
    control.notifications.setDelivery({ dropShare: 1 });
    expect(control.join('room-r', '22', { role: 'audience' })).toEqual({ ok: true });
    await control.notifications.settle();
    control.notifications.setDelivery({ dropShare: 0 });
    expect(await s.store.presence.snapshot('room-r')).toEqual({ members: [], lastEventId: 0 });

    const live = watch(s, 'room-r');
    await expect.poll(() => live.seen.length).toBe(1);
    expect(shape(live.seen[0]!.event)).toEqual({
      type: 'snapshot',
      members: expect.arrayContaining([
        [21, 'host', 'reconciled'],
        [22, 'audience', 'reconciled'],
      ]) as unknown,
    });
    expect((live.seen[0]!.event as { members: unknown[] }).members).toHaveLength(2);

    // A leave whose notice is lost: the next read reconciles it as left.
    control.notifications.setDelivery({ dropShare: 1 });
    expect(control.leave('room-r', '21')).toBe(true);
    await control.notifications.settle();
    control.notifications.setDelivery({ dropShare: 0 });
    // Agora's list is reused for 2 s: a read after that compares anew.
    await expect
      .poll(
        async () => {
          const sessions = await s.client.channel.sessions.query({ channel: 'room-r', uid: 21 });
          return sessions.items.map((item) => [item.uid, item.leaveReason, item.source]);
        },
        { timeout: 10_000 },
      )
      .toEqual([[21, 'reconciled', 'reconciled']]);
    await expect.poll(() => live.seen.length).toBe(2);
    expect(shape(live.seen[1]!.event)).toEqual({ type: 'leave', uid: 21, role: 'host', reason: 'reconciled', source: 'reconciled' });

    // A notice that does arrive still counts once: 22 leaves, seen once.
    expect(control.leave('room-r', '22')).toBe(true);
    await control.notifications.settle();
    await expect.poll(() => live.seen.length).toBe(3);
    expect(shape(live.seen[2]!.event)).toEqual({ type: 'leave', uid: 22, role: 'audience', reason: 'quit', source: 'event' });
    expect(live.errors).toEqual([]);
  });

  it('presence survives a restart on the same SQLite file, and a resumed watch gets only later events', async () => {
    const s = await presenceStack();
    const { control } = s.emulator;
    control.join('room-s', '31', { role: 'host', platform: 5 });
    await control.notifications.settle();
    await expect.poll(async () => (await s.store.presence.snapshot('room-s')).members.length).toBe(1);
    const before = await s.store.presence.snapshot('room-s');

    const ws = wsConnection(s.app.wsUrl);
    const first: { id: string; data: ChannelPresenceEvent }[] = [];
    const subscription = ws.client.channel.watch.subscribe({ channel: 'room-s' }, { onData: (value) => first.push(value) });
    await expect.poll(() => first.length).toBe(1);
    control.join('room-s', '32', { role: 'audience' });
    await control.notifications.settle();
    await expect.poll(() => first.length).toBe(2);
    subscription.unsubscribe();
    await ws.close();
    const lastId = first[1]!.id;

    // While no server listens, notices are lost (events off stands for a failed delivery).
    await s.close();
    control.setChannelEvents(false);
    control.leave('room-s', '32');
    control.join('room-s', '33', { role: 'host' });
    control.setChannelEvents(true);
    const again = await s.restart();
    stacks.push({ stack: again, all: false });
    target(again);
    // At start-up the channel with members is compared with Agora's list: 32 left, 33 joined.
    await expect.poll(async () => (await again.store.presence.snapshot('room-s')).members.map((member) => member.uid)).toEqual([31, 33]);
    expect(control.setRole('room-s', '31', 'audience')).toEqual({ ok: true });
    await control.notifications.settle();
    await expect
      .poll(async () => (await again.store.presence.snapshot('room-s')).members.find((member) => member.uid === 31)?.role)
      .toBe('audience');
    const after = await again.store.presence.snapshot('room-s');
    expect(after.members.find((member) => member.uid === 31)).toEqual({ ...before.members[0], role: 'audience' });

    // Resume after the join of 32: the leave and join sent while no server listened (their
    // notices lost) as reconciliation found them, then the role change; nothing before.
    const resumed: { id: string; data: ChannelPresenceEvent }[] = [];
    const ws2 = wsConnection(again.app.wsUrl);
    const sub2 = ws2.client.channel.watch.subscribe({ channel: 'room-s', lastEventId: lastId }, { onData: (value) => resumed.push(value) });
    await expect.poll(() => resumed.length).toBe(3);
    sub2.unsubscribe();
    await ws2.close();
    expect(resumed.every((item) => Number(item.id) > Number(lastId))).toBe(true);
    expect(resumed.map((item) => shape(item.data))).toEqual([
      { type: 'leave', uid: 32, role: 'audience', reason: 'reconciled', source: 'reconciled' },
      { type: 'join', uid: 33, role: 'host', source: 'reconciled' },
      { type: 'role', uid: 31, role: 'audience', source: 'event' },
    ]);
  });

  it('a caller without the channel gets the same refusal whether or not the channel exists', async () => {
    const keys = { mod: 'agk_moderator_777777777777777777777777' };
    const authenticator = createApiKeyAuth([{ id: 'mod', hash: hashApiKey(keys.mod), scopes: ['moderate'], channels: ['room-*'] }]);
    const s = await presenceStack({ authenticator, auth: keys.mod });
    s.emulator.control.join('secret-a', '51', { role: 'host' });
    await s.emulator.control.notifications.settle();
    await expect.poll(async () => (await s.store.presence.snapshot('secret-a')).members.length).toBe(1);

    const refusal = async (channel: string) => {
      const live = watch(s, channel);
      await expect.poll(() => live.errors.length).toBe(1);
      const error = live.errors[0] as { message: string; data?: { code?: string; appCode?: string } };
      expect(live.seen).toEqual([]);
      return { message: error.message, code: error.data?.code };
    };
    const existing = await refusal('secret-a');
    const missing = await refusal('secret-none');
    expect(existing.code).toBe('FORBIDDEN');
    expect(existing).toEqual({ ...missing, message: missing.message.replace('secret-none', 'secret-a') });

    const sessionsError = async (channel: string) =>
      s.client.channel.sessions.query({ channel }).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message.replace(channel, '<channel>') : 'not an error'),
      );
    expect(await sessionsError('secret-a')).toBe(await sessionsError('secret-none'));
    expect(await sessionsError('secret-a')).toBeDefined();
    const rest = await fetch(`${s.app.baseUrl}/api/v1/channels/secret-a/sessions`, { headers: { authorization: `Bearer ${keys.mod}` } });
    expect(rest.status).toBe(403);
  });
});

describe('presence on PostgreSQL', () => {
  it('two notices for one user, applied at once by two instances, end in the right state', async () => {
    const storeA = await createPostgresStore({ url: DATABASE_URL, schema });
    const a = await presenceStack({ store: storeA }, false);
    const b = await presenceStack({ store: await createPostgresStore({ url: DATABASE_URL, schema }), existingEmulator: a.emulator }, false);
    const ts = Math.floor(Date.now() / 1000);
    for (let uid = 61; uid <= 70; uid++) {
      const user = { channelName: 'room-pg', uid, platform: 7, ts };
      // Odd uids: the join goes to one instance, the (newer) leave to the other, at once.
      const [first, second] = uid % 2 === 0 ? [a, b] : [b, a];
      await Promise.all([sendNotice(first, 103, { ...user, clientSeq: 1 }), sendNotice(second, 104, { ...user, clientSeq: 2, reason: 1 })]);
    }
    // The last user joins through one instance: everything sent before has been applied after it shows.
    await sendNotice(a, 103, { channelName: 'room-pg', uid: 99, platform: 7, ts: ts + 1, clientSeq: 1 });
    await expect.poll(async () => (await storeA.presence.snapshot('room-pg')).members.map((member) => member.uid)).toEqual([99]);
    const events = await storeA.presence.eventsAfter('room-pg', 0);
    for (let uid = 61; uid <= 70; uid++) {
      const kinds = events.filter((event) => event.uid === uid).map((event) => event.kind);
      // Applied in either order: join then leave, or the leave first (nothing to leave) and the older join ignored.
      expect([['join', 'leave'], []]).toContainEqual(kinds);
      const sessions = await storeA.presence.sessions('room-pg', { uid, limit: 10 });
      expect(sessions.every((session) => session.leftAt === ts * 1000)).toBe(true);
    }
  });
});
