import { z } from 'zod';
import type { PresenceChange, PresenceRole } from '../store/index.js';
import type { Notice } from '../tasks/notice.js';

/**
 * Agora's RTC channel event notices (productId 1; docs/agora.md, "Presence"): who joined, left or
 * changed role, read into the changes presence applies.
 */

export const CHANNEL_EVENTS_PRODUCT = 1;

const JOINS: Record<number, PresenceRole> = { 103: 'host', 105: 'audience', 107: 'communication' };
const LEAVES: Record<number, PresenceRole> = { 104: 'host', 106: 'audience', 108: 'communication' };
const ROLE_CHANGES: Record<number, PresenceRole> = { 111: 'host', 112: 'audience' };
export const CHANNEL_CREATE_EVENT = 101;
export const CHANNEL_DESTROY_EVENT = 102;

/** Leave reasons as Agora numbers them; any other number is kept as `reason_<n>`. */
const LEAVE_REASONS: Record<number, string> = {
  1: 'quit',
  2: 'timeout',
  3: 'banned',
  4: 'server',
  5: 'device_switch',
  9: 'multiple_ips',
  10: 'network',
};

const Uid = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);
const ChannelPayload = z.object({ channelName: z.string().min(1), ts: z.number().int().nonnegative() }).loose();
const UserPayload = ChannelPayload.extend({
  uid: Uid,
  clientSeq: z.number().int().nonnegative(),
  platform: z.number().int().optional(),
  reason: z.number().int().optional(),
});

export type ChannelNotice =
  | { kind: 'user'; change: PresenceChange }
  | { kind: 'destroy'; channel: string; ts: number }
  /** Nothing for presence to do: a channel create, an event we do not know, a string account (uid 0). */
  | { kind: 'ignored'; why: string };

/** Reads a productId 1 notice; a payload that is not what Agora documents is `ignored` with why. */
export function channelNoticeOf(notice: Notice): ChannelNotice {
  const { eventType } = notice;
  if (eventType === CHANNEL_CREATE_EVENT) return { kind: 'ignored', why: 'channel create' };
  if (eventType === CHANNEL_DESTROY_EVENT) {
    const parsed = ChannelPayload.safeParse(notice.payload);
    if (!parsed.success) return { kind: 'ignored', why: 'channel destroy without channelName and ts' };
    return { kind: 'destroy', channel: parsed.data.channelName, ts: parsed.data.ts * 1000 };
  }
  const join = JOINS[eventType];
  const leave = LEAVES[eventType];
  const role = ROLE_CHANGES[eventType];
  const kind = join ? 'join' : leave ? 'leave' : role ? 'role' : undefined;
  if (!kind) return { kind: 'ignored', why: `event type ${eventType}` };
  const parsed = UserPayload.safeParse(notice.payload);
  if (!parsed.success) return { kind: 'ignored', why: `event ${eventType} without channelName, uid, clientSeq and ts` };
  const { channelName, uid, clientSeq, ts, platform, reason } = parsed.data;
  // A string account: the query API cannot list it either, so presence keeps numeric uids only.
  if (uid === 0) return { kind: 'ignored', why: 'a string user account (uid 0)' };
  return {
    kind: 'user',
    change: {
      channel: channelName,
      uid,
      kind,
      role: join ?? leave ?? role ?? 'communication',
      platform,
      ts: ts * 1000,
      seq: clientSeq,
      reason: kind === 'leave' ? (reason === undefined ? 'quit' : (LEAVE_REASONS[reason] ?? `reason_${reason}`)) : undefined,
    },
  };
}
