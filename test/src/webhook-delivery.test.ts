import type { RecordingState } from '@agora-backend/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

/**
 * The server under Agora's notification delivery as it really behaves — duplicated, reordered,
 * late, dropped — sent by the emulator to the server's own webhook: polling stays the source of
 * truth and no recording ever moves backwards.
 */

const SECRET = 'whsec-delivery-test';
const RANK: Record<RecordingState, number> = { starting: 0, recording: 1, stopping: 2, stopped: 3, failed: 3 };

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

async function stackWithDelivery(delivery: Parameters<RecordingStack['emulator']['control']['notifications']['setDelivery']>[0]) {
  const s = await startRecordingStack({ webhookSecret: SECRET, pollIntervalMs: 200, confirmDelayMs: 100 });
  s.emulator.control.setNotificationTarget({ url: `${s.app.baseUrl}/webhooks/agora`, secret: SECRET });
  s.emulator.control.notifications.setDelivery(delivery);
  stack = s;
  return s;
}

async function recordAndStop(s: RecordingStack, channel: string) {
  const started = await s.client.recording.start.mutate({ channel });
  s.emulator.control.join(channel, '100');
  await expect.poll(async () => (await s.client.recording.get.query({ id: started.id })).state, { timeout: 5_000 }).toBe('recording');
  const stopped = await s.client.recording.stop.mutate({ id: started.id });
  expect(stopped.state).toBe('stopped');
  return started;
}

/** Every recorded state change moves forward; nothing follows the end. */
async function expectForwardOnly(s: RecordingStack, id: string) {
  const events = await s.store.recordings.eventsAfter(id, undefined);
  const ranks = events.map((event) => RANK[event.state]);
  expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  expect(events.at(-1)?.state).toBe('stopped');
  expect(events.filter((event) => event.state === 'stopped')).toHaveLength(1);
  expect((await s.store.recordings.get(id))?.state).toBe('stopped');
  return events;
}

const settle = async (s: RecordingStack) => {
  await s.emulator.control.notifications.settle();
  // The webhook applies a change after answering: give that a moment.
  await new Promise((resolve) => setTimeout(resolve, 300));
};

describe('notification delivery as Agora really does it', () => {
  it('duplicated, reordered and late notices never move a recording backwards', async () => {
    const s = await stackWithDelivery({ duplicateShare: 0.5, reorderShare: 0.4, lateShare: 0.4, lateMs: 600, seed: 9 });
    const ids = [];
    for (const channel of ['ch1', 'ch2', 'ch3']) ids.push((await recordAndStop(s, channel)).id);
    await settle(s);
    for (const id of ids) await expectForwardOnly(s, id);
    const fates = new Set(s.emulator.control.notifications.log().map((entry) => entry.fate));
    expect(fates).toContain('duplicated');
    expect(fates).toContain('late');
    expect(fates).toContain('reordered');
    // Every notice reached the server and was answered 2xx, duplicates included.
    expect(s.emulator.control.notifications.log().every((entry) => entry.delivered)).toBe(true);
  });

  it('a recorder_started that arrives after the stop does not reopen the recording', async () => {
    const s = await stackWithDelivery({ lateShare: 1, lateMs: 1_500 });
    const started = await recordAndStop(s, 'late-room');
    await settle(s);
    const log = s.emulator.control.notifications.log().filter((entry) => entry.sid === started.sid);
    expect(log.map((entry) => entry.msgName)).toContain('recorder_started');
    expect(log.every((entry) => entry.delivered)).toBe(true);
    const events = await expectForwardOnly(s, started.id);
    expect(events.some((event) => event.source === 'webhook' && event.state !== 'stopped')).toBe(false);
  });

  it('a failure on Agora’s side is reported as failed, by the error notice or by polling', async () => {
    for (const dropShare of [0, 1]) {
      const s = await stackWithDelivery({ dropShare });
      const started = await s.client.recording.start.mutate({ channel: `broken-${dropShare}` });
      s.emulator.control.join(`broken-${dropShare}`, '100');
      await expect.poll(async () => (await s.client.recording.get.query({ id: started.id })).state, { timeout: 5_000 }).toBe('recording');
      expect(s.emulator.control.failTask(started.sid, { module: 0, errorCode: 52, errorMsg: 'start timeout' })).toBe(true);
      await expect.poll(async () => (await s.client.recording.get.query({ id: started.id })).state, { timeout: 5_000 }).toBe('failed');
      await stack?.close(true);
      stack = undefined;
    }
  });

  it('with every notice dropped, polling alone carries the recording from start to stop', async () => {
    const s = await stackWithDelivery({ dropShare: 1 });
    const started = await recordAndStop(s, 'silent-room');
    await settle(s);
    expect(
      s.emulator.control.notifications
        .log()
        .filter((entry) => entry.sid === started.sid)
        .every((entry) => entry.fate === 'dropped'),
    ).toBe(true);
    const events = await expectForwardOnly(s, started.id);
    expect(events.map((event) => event.source)).not.toContain('webhook');
    expect(events.map((event) => event.state)).toEqual(['starting', 'recording', 'stopping', 'stopped']);
  });
});
