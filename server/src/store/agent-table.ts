import type { Kysely } from 'kysely';
import { AgentState } from '@agora-backend/shared';
import { z } from 'zod';
import type { Database } from './schema.js';
import { json, parseError, lifeFromRow, toNumber, type Db } from './rows.js';
import {
  ACTIVE_AGENT_STATES,
  type AgentConversation,
  type AgentEvent,
  type AgentPatch,
  type AgentRecord,
  type AgentTable,
  type StoredAgentMessage,
} from './agent-types.js';
import { createTaskTable, EventSource } from './task-table.js';

const StoredMessage = z.object({ seq: z.number(), role: z.string(), content: z.string(), seenAt: z.number() });
const parseMessage = (text: string | null): StoredAgentMessage | null => (text === null ? null : StoredMessage.parse(JSON.parse(text)));

/** The kept conversation (agent_conversation): messages and turns, each once by its number. */
function createConversation(
  db: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  appendEventIn: (into: Db, event: Omit<AgentEvent, 'id'>) => Promise<AgentEvent>,
): AgentConversation {
  const rows = (on: Kysely<Database>, taskId: string, kind: 'message' | 'turn') =>
    on
      .selectFrom('agent_conversation')
      .select('body')
      .where('agent_task_id', '=', taskId)
      .where('kind', '=', kind)
      .orderBy('seq')
      .execute();
  return {
    async messages(taskId) {
      return (await rows(db, taskId, 'message')).map((row) => StoredMessage.parse(JSON.parse(row.body)));
    },
    async mergeMessages(taskId, pick, eventOf) {
      return db.transaction().execute(async (trx) => {
        // Another instance merging the same agent waits here until this one commits (PostgreSQL;
        // SQLite has one writer, and its transactions run one at a time on the one connection).
        if (dialect === 'postgres') await trx.selectFrom('agents').select('id').where('id', '=', taskId).forUpdate().execute();
        const kept = (await rows(trx, taskId, 'message')).map((row) => StoredMessage.parse(JSON.parse(row.body)));
        const { before, after } = pick(kept);
        // Numbered on from the last kept one; older ones found later go below the first (kept numbers never change).
        const first = kept[0]?.seq ?? 1;
        const last = kept.at(-1)?.seq ?? 0;
        const messages = [
          ...before.map((message, index) => ({ ...message, seq: first - before.length + index })),
          ...after.map((message, index) => ({ ...message, seq: last + index + 1 })),
        ];
        if (messages.length === 0) return [];
        await trx
          .insertInto('agent_conversation')
          .values(
            messages.map((message) => ({
              agent_task_id: taskId,
              kind: 'message',
              seq: message.seq,
              at: message.seenAt,
              body: json(message),
            })),
          )
          .execute();
        const events: AgentEvent[] = [];
        for (const message of messages) events.push(await appendEventIn(trx, eventOf(message)));
        return events;
      });
    },
    async turns(taskId) {
      return (await rows(db, taskId, 'turn')).map((row) => JSON.parse(row.body) as unknown);
    },
    async putTurns(taskId, turns) {
      if (turns.length === 0) return;
      await db
        .insertInto('agent_conversation')
        .values(turns.map((turn) => ({ agent_task_id: taskId, kind: 'turn', seq: turn.turnId, at: turn.at, body: json(turn.body) })))
        .onConflict((conflict) =>
          conflict.columns(['agent_task_id', 'kind', 'seq']).doUpdateSet((eb) => ({ body: eb.ref('excluded.body') })),
        )
        .execute();
    },
  };
}

/** The agents' rows and event log: the shared task table with an agent's own columns, and its kept conversation. */
export function createAgentTable(db: Kysely<Database>, dialect: 'sqlite' | 'postgres'): AgentTable {
  const table = createTaskTable<'agents', AgentRecord, AgentPatch, AgentEvent>(db, {
    table: 'agents',
    events: 'agent_events',
    taskColumn: 'agent_task_id',
    State: AgentState,
    activeStates: ACTIVE_AGENT_STATES,
    fromRow: (row) => ({
      id: row.id,
      channel: row.channel,
      uid: row.uid,
      owner: row.owner,
      state: AgentState.parse(row.state),
      agentId: row.agent_id,
      agoraStatus: row.agora_status,
      profile: row.profile,
      options: JSON.parse(row.options) as unknown,
      tokenExpiresAt: toNumber(row.token_expires_at),
      turnsComplete: row.turns_complete === 1,
      ...lifeFromRow(row),
    }),
    ownColumns: (record) => ({
      agent_id: record.agentId,
      agora_status: record.agoraStatus,
      profile: record.profile,
      options: json(record.options),
      token_expires_at: record.tokenExpiresAt,
      turns_complete: record.turnsComplete ? 1 : 0,
    }),
    ownPatch: (patch) => ({
      ...(patch.agentId !== undefined ? { agent_id: patch.agentId } : {}),
      ...(patch.agoraStatus !== undefined ? { agora_status: patch.agoraStatus } : {}),
      ...(patch.tokenExpiresAt !== undefined ? { token_expires_at: patch.tokenExpiresAt } : {}),
      ...(patch.turnsComplete !== undefined ? { turns_complete: patch.turnsComplete ? 1 : 0 } : {}),
    }),
    toEvent: (row) => ({
      id: Number(row.id),
      agentTaskId: row.agent_task_id,
      at: Number(row.at),
      state: AgentState.parse(row.state),
      agoraStatus: row.agora_status,
      source: EventSource.parse(row.source),
      lastError: parseError(row.last_error),
      message: parseMessage(row.message),
    }),
    eventOf: (record, at, source) => ({
      agentTaskId: record.id,
      at,
      state: record.state,
      agoraStatus: record.agoraStatus,
      source,
      lastError: record.lastError,
      message: null,
    }),
    ownEventColumns: (event) => ({ agora_status: event.agoraStatus, message: event.message === null ? null : json(event.message) }),
    taskIdOf: (event) => event.agentTaskId,
  });
  const { findBy, appendEventIn, ...rows } = table;
  return {
    ...rows,
    findByAgentId: (agentId) => findBy({ agent_id: agentId }),
    conversation: createConversation(db, dialect, appendEventIn),
  };
}
