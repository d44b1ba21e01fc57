import type { AgentTurn } from '@agora-backend/shared';
import { z } from 'zod';
import type { AgentCallOptions, AgoraClient, AgentTurn as AgoraTurn } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { AgentEvent, AgentRecord, AgentTable } from '../store/index.js';
import type { ChangeSource } from '../tasks/transitions.js';

type Said = { role: string; content: string };

const same = (a: Said, b: Said) => a.role === b.role && a.content === b.content;

/**
 * Where the messages of `seen` not yet kept go. Agora's history is a sliding window of the latest
 * messages (`llm.max_history`), and reads may be merged in another order than they were made (a
 * poll's answer after a later 103 notice, two instances at once), so `seen` may be newer than what
 * is kept, older, or inside it. It is laid against the kept messages where the longest run of it
 * matches them (the kept messages are taken as one unbroken stretch of Agora's history): what
 * precedes that run goes `before` the first kept message, what follows it `after` the last; a window
 * wholly inside the kept ones adds nothing. No overlap at all: all of `seen` goes after (more came
 * than the window holds).
 */
export function placeWindow(kept: readonly Said[], seen: readonly Said[]): { before: Said[]; after: Said[] } {
  let best: { offset: number; overlap: number } | undefined;
  // seen[i] lies at kept[i + offset]; every pair that meets must be the same message.
  for (let offset = 1 - seen.length; offset < kept.length; offset++) {
    const from = Math.max(0, -offset);
    const to = Math.min(seen.length, kept.length - offset);
    let matches = true;
    for (let index = from; index < to && matches; index++) matches = same(seen[index]!, kept[index + offset]!);
    // The longest overlap wins; of equal ones, the latest place (a repeated exchange is taken as new).
    if (matches && to > from && (!best || to - from >= best.overlap)) best = { offset, overlap: to - from };
  }
  if (!best) return { before: [], after: [...seen] };
  return {
    before: seen.slice(0, Math.max(0, -best.offset)),
    after: seen.slice(Math.max(0, kept.length - best.offset)),
  };
}

/** A turn as the registry keeps it (times in Unix ms). */
const StoredTurn = z.object({
  turnId: z.number(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  startType: z.string(),
  endType: z.string().nullable(),
  e2eLatencyMs: z.number().nullable(),
  segments: z.array(z.object({ name: z.string(), latencyMs: z.number() })),
});

function storedTurn(turn: AgoraTurn): z.infer<typeof StoredTurn> {
  return {
    turnId: turn.turnId,
    startedAt: turn.start.at,
    endedAt: turn.end.at ?? null,
    startType: turn.start.type,
    endType: turn.end.type ?? null,
    e2eLatencyMs: turn.e2eLatencyMs ?? null,
    segments: turn.segmentedLatencyMs.map((segment) => ({ name: segment.name, latencyMs: segment.latency })),
  };
}

/** A kept turn as clients see it. */
export function toTurn(body: unknown): AgentTurn {
  const turn = StoredTurn.parse(body);
  return { ...turn, startedAt: new Date(turn.startedAt), endedAt: turn.endedAt === null ? null : new Date(turn.endedAt) };
}

/**
 * The kept conversation (docs/agents.md, "The kept conversation"): Agora answers `history` only
 * while the agent runs and `turns` for 7 days, so both are copied into the registry — the
 * history on every poll, notice and just before a leave, the turns once the agent has ended.
 * Each new message is an event of the agent's log, so `agent.watch` streams it.
 */
export function createConversationKeeper(options: {
  store: AgentTable;
  agora: AgoraClient;
  clock: Clock;
  logger: Logger;
  bus: EventBus<AgentEvent>;
}) {
  const { store, agora, clock, bus } = options;
  // One merge at a time per agent in this process (keeps the events in order); across instances the
  // registry's transaction (conversation.mergeMessages) does the same.
  const merging = new Map<string, Promise<unknown>>();

  async function mergeNow(record: AgentRecord, seen: readonly Said[], source: ChangeSource): Promise<number> {
    const now = clock.now();
    const current = (await store.get(record.id)) ?? record;
    // Read, compared, numbered and logged in one registry transaction: another instance merging the
    // same agent at once waits, then finds these kept (in this process, `merging` queues them too).
    const events = await store.conversation.mergeMessages(
      record.id,
      (kept) => {
        const { before, after } = placeWindow(kept, seen);
        const stored = (message: Said) => ({ role: message.role, content: message.content, seenAt: now });
        return { before: before.map(stored), after: after.map(stored) };
      },
      (message) => ({
        agentTaskId: record.id,
        at: now,
        state: current.state,
        agoraStatus: current.agoraStatus,
        source,
        lastError: current.lastError,
        message,
      }),
    );
    for (const event of events) bus.publish(event);
    return events.length;
  }

  /** Keeps the messages of `seen` not yet kept, numbered on; returns how many were new. */
  function merge(record: AgentRecord, seen: readonly Said[], source: ChangeSource): Promise<number> {
    const previous = merging.get(record.id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => mergeNow(record, seen, source));
    merging.set(record.id, next);
    void next
      .finally(() => {
        if (merging.get(record.id) === next) merging.delete(record.id);
      })
      .catch(() => undefined);
    return next;
  }

  return {
    merge,
    /** Reads Agora's history into the registry (while the agent runs: Agora answers it only then). */
    async readHistory(record: AgentRecord, source: ChangeSource, call: AgentCallOptions = {}): Promise<void> {
      if (!record.agentId) return;
      const history = await agora.convoai.history(record.agentId, call);
      await merge(record, history.contents, source);
    },
    /** Reads every page of the agent's turns into the registry (after its end). */
    async readTurns(record: AgentRecord, call: AgentCallOptions = {}): Promise<void> {
      if (!record.agentId) return;
      for (let pageIndex = 1; pageIndex <= 100; pageIndex++) {
        const page = await agora.convoai.turns(record.agentId, { pageIndex, pageSize: 50 }, call);
        await store.conversation.putTurns(
          record.id,
          page.turns.map((turn) => ({ turnId: turn.turnId, at: turn.start.at, body: storedTurn(turn) })),
        );
        if (page.isLastPage || pageIndex >= page.totalPages) break;
      }
    },
  };
}

export type ConversationKeeper = ReturnType<typeof createConversationKeeper>;
