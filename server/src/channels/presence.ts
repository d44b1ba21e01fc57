import { setMaxListeners } from 'node:events';
import type { ChannelMember, ChannelPresenceEvent, ChannelSessionsOutput } from '@agora-backend/shared';
import type { ChannelUsers } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { ListedMembers, PresenceEvent, PresenceRole, PresenceTable } from '../store/index.js';
import type { ChannelNotice } from './notice.js';
import { forbidden, type ChannelAccess } from './service.js';

/**
 * Presence (docs/agora.md, "Presence"): who is in a channel, kept in the registry from Agora's
 * channel event notices, and made to agree with Agora's user list when notices may have been lost
 * (a watch or a read of a channel not compared lately, and at start-up). channel.watch streams it.
 */

export interface PresenceOptions {
  table: PresenceTable;
  /** Presence events by channel (PostgreSQL relays them between instances). */
  bus: EventBus<PresenceEvent>;
  /** Agora's user list and when it was asked for, through the channel service (its cache and the shared rate budget). */
  listUsers(channel: string, priority: 'user' | 'background'): Promise<{ at: number; value: ChannelUsers }>;
  clock: Clock;
  logger: Logger;
  /** A channel compared with Agora's list longer ago than this is compared again when watched or read. */
  reconcileAfterMs: number;
  /** Presence history (events, ended stays) older than this is forgotten; undefined: kept for ever. */
  retentionMs?: number | undefined;
}

/** How often an instance prunes presence history: on the first notice after this long (like the webhook's notice memory, on the way). */
export const PRESENCE_PRUNE_EVERY_MS = 3_600_000;

/** Presence events are published under their channel. */
export const presenceTopic = (event: PresenceEvent) => event.channel;

/** Agora's answer as the members it lists. */
function listedOf(users: ChannelUsers): ListedMembers {
  if (!users.exists) return { exists: false };
  const members = new Map<number, PresenceRole>();
  if (users.profile === 'communication') {
    for (const uid of users.users) members.set(uid, 'communication');
    return { exists: true, members, audiencePartial: false };
  }
  for (const uid of users.audience ?? []) members.set(uid, 'audience');
  for (const uid of users.hosts) members.set(uid, 'host');
  // Hosts only (no audience list) or a list cut at Agora's cap: an unlisted audience member may be there.
  return { exists: true, members, audiencePartial: users.audience === undefined || users.audienceTruncated };
}

/** A presence event as channel.watch shows it. */
export function toWatchEvent(event: PresenceEvent): ChannelPresenceEvent {
  const base = { channel: event.channel, uid: event.uid, role: event.role, at: event.at, source: event.source };
  if (event.kind === 'join') return { type: 'join', ...base, platform: event.platform ?? null };
  if (event.kind === 'leave') return { type: 'leave', ...base, reason: event.reason ?? 'quit' };
  return { type: 'role', ...base };
}

export type Presence = ReturnType<typeof createPresence>;

/** Presence on the registry's tables, the bus and the channel service's user list. */
export function createPresence(options: PresenceOptions) {
  const { table, bus, clock, logger } = options;
  const shutdown = new AbortController();
  setMaxListeners(0, shutdown.signal);
  /** Per channel: the reconciliation in flight, so concurrent watchers share one Agora call. */
  const reconciling = new Map<string, Promise<void>>();

  const publish = (events: PresenceEvent[] | undefined) => {
    for (const event of events ?? []) bus.publish(event);
  };

  /** When this instance last pruned; the first notice after start prunes (each instance on its own: deleting twice is harmless). */
  let prunedAt = Number.NEGATIVE_INFINITY;
  /** Forgets history past the retention at most once per PRESENCE_PRUNE_EVERY_MS; a failure is logged, the notice stands. */
  async function pruneNowAndThen(now: number): Promise<void> {
    if (options.retentionMs === undefined || now - prunedAt < PRESENCE_PRUNE_EVERY_MS) return;
    prunedAt = now;
    try {
      const pruned = await table.prune(now - options.retentionMs);
      if (pruned.events + pruned.sessions > 0) logger.info(pruned, 'presence history past its retention forgotten');
    } catch (error) {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'presence history not pruned');
    }
  }

  /** Compares a channel with Agora's list now and fixes the registry. */
  async function reconcile(channel: string, priority: 'user' | 'background'): Promise<void> {
    // A cached answer counts from when it was asked for: changes since then are newer than it.
    const { at: sentAt, value: users } = await options.listUsers(channel, priority);
    const events = await table.reconcile(channel, listedOf(users), sentAt, clock.now());
    if (events && events.length > 0) logger.info({ channel, changes: events.length }, "presence reconciled with Agora's user list");
    publish(events);
  }

  /** Reconciles unless done within `reconcileAfterMs`; a failure is logged and the registry's view stands. */
  function reconcileIfStale(channel: string, priority: 'user' | 'background', force = false): Promise<void> {
    const running = reconciling.get(channel);
    if (running) return running;
    const run = (async () => {
      const at = await table.reconciledAt(channel);
      if (!force && at !== undefined && clock.now() - at < options.reconcileAfterMs) return;
      await reconcile(channel, priority);
    })()
      .catch((error: unknown) => {
        logger.warn({ channel, err: error instanceof Error ? error.message : String(error) }, 'presence not reconciled with Agora');
      })
      .finally(() => reconciling.delete(channel));
    reconciling.set(channel, run);
    return run;
  }

  /** The watch itself: the membership (or the events after `afterId`), then live events, each once. */
  async function* stream(channel: string, askedAfter: number | undefined, signal: AbortSignal) {
    const pending: PresenceEvent[] = [];
    let wake: (() => void) | undefined;
    // Listen before reading, and drop ids already yielded: nothing slips between the two.
    const unsubscribe = bus.subscribe(channel, (event) => {
      pending.push(event);
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    try {
      await reconcileIfStale(channel, 'user');
      const snapshot = await table.snapshot(channel);
      // An id past the channel's newest event (a reset or moved registry) starts over with the membership.
      const afterId = askedAfter !== undefined && askedAfter <= snapshot.lastEventId ? askedAfter : undefined;
      let lastId: number;
      if (afterId === undefined) {
        lastId = snapshot.lastEventId;
        const members: ChannelMember[] = snapshot.members.map((member) => ({ ...member, platform: member.platform ?? null }));
        yield { eventId: lastId, event: { type: 'snapshot', channel, members } satisfies ChannelPresenceEvent };
      } else {
        lastId = afterId;
        pending.unshift(...(await table.eventsAfter(channel, afterId)));
      }
      while (!signal.aborted) {
        const event = pending.shift();
        if (!event) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (event.id <= lastId) continue;
        lastId = event.id;
        yield { eventId: event.id, event: toWatchEvent(event) };
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    /** Applies a channel event notice (already verified and de-duplicated) and tells watchers. */
    async applyNotice(notice: ChannelNotice): Promise<void> {
      if (notice.kind === 'ignored') {
        logger.debug({ why: notice.why }, 'channel event notice: nothing for presence');
        return;
      }
      const now = clock.now();
      if (notice.kind === 'destroy') publish(await table.destroy(notice.channel, notice.ts, now));
      else publish(await table.apply(notice.change, now));
      await pruneNowAndThen(now);
    },

    /** channel.watch: the caller must be allowed the channel; the same refusal whether or not it exists. */
    watch(
      input: { channel: string; lastEventId: string | undefined },
      access: ChannelAccess,
      signal: AbortSignal,
    ): Promise<AsyncIterable<{ eventId: number; event: ChannelPresenceEvent }>> {
      if (!access.mayUse(input.channel)) return Promise.reject(forbidden(input.channel));
      const afterId = input.lastEventId === undefined ? undefined : Number(input.lastEventId);
      return Promise.resolve(stream(input.channel, afterId, AbortSignal.any([signal, shutdown.signal])));
    },

    /** channel.sessions: each stay in the channel, newest first, with its duration (open ones until now). */
    async sessions(
      input: { channel: string; uid?: number | undefined; since?: number | undefined; until?: number | undefined; limit: number },
      access: ChannelAccess,
    ): Promise<ChannelSessionsOutput> {
      if (!access.mayUse(input.channel)) throw forbidden(input.channel);
      await reconcileIfStale(input.channel, 'user');
      const now = clock.now();
      const items = (await table.sessions(input.channel, input)).map((session) => {
        const leftAt = session.leftAt ?? null;
        return {
          channel: session.channel,
          uid: session.uid,
          role: session.role,
          platform: session.platform ?? null,
          joinedAt: session.joinedAt,
          leftAt,
          durationMs: Math.max(0, (leftAt ?? now) - session.joinedAt),
          leaveReason: session.leaveReason ?? null,
          source: session.source,
        };
      });
      return { items, totalMs: items.reduce((sum, item) => sum + item.durationMs, 0) };
    },

    /**
     * At start-up: every channel the registry has members in is compared with Agora (notices sent
     * while no instance listened are lost), one at a time, behind users' calls in the budget.
     */
    async reconcileAll(): Promise<void> {
      for (const channel of await table.channelsWithMembers()) {
        if (shutdown.signal.aborted) return;
        await reconcileIfStale(channel, 'background', true);
      }
    },

    /** Ends every watch stream (at shutdown). */
    endWatches: () => shutdown.abort(),
  };
}
