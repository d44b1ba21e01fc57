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
 * The messages of `seen` not yet kept. Agora's history is a window of the latest messages
 * (`llm.max_history`), so the longest tail of what is kept that `seen` begins with is the overlap;
 * what follows it is new. No overlap: all of `seen` is new (more came than the window holds).
 */
export function newMessages(kept: readonly Said[], seen: readonly Said[]): Said[] {
  for (let overlap = Math.min(kept.length, seen.length); overlap > 0; overlap--) {
    const tail = kept.slice(kept.length - overlap);
    if (tail.every((message, index) => same(message, seen[index]!))) return seen.slice(overlap);
  }
  return [...seen];
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
      (kept) => newMessages(kept, seen).map((message) => ({ role: message.role, content: message.content, seenAt: now })),
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
