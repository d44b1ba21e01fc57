import type { AgentState } from '@agora-backend/shared';
import type { TaskEvent, TaskLifePatch, TaskListFilter, TaskRecord, TaskTable } from './task-types.js';

/** One Conversational AI agent as the registry keeps it (its uid is Agora's agent_rtc_uid). Times are Unix milliseconds. */
export interface AgentRecord extends TaskRecord<AgentState> {
  /** Agora's agent_id, once join answered. */
  agentId: string | null;
  /** Agora's state word (RUNNING, STOPPED…), when known. */
  agoraStatus: string | null;
  /** The profile the agent was started from. */
  profile: string;
  /** What the caller chose (overrides and remote uids), kept so a restarted server knows. */
  options: unknown;
  /** When the agent's current token runs out: the poll holder renews it before. */
  tokenExpiresAt: number | null;
  /** The turns were read from Agora after the end: nothing more to read. */
  turnsComplete: boolean;
}

export type AgentPatch = Partial<Pick<AgentRecord, 'state' | 'agentId' | 'agoraStatus' | 'tokenExpiresAt' | 'turnsComplete'>> &
  TaskLifePatch;

/** One message of the conversation as kept. */
export interface StoredAgentMessage {
  seq: number;
  role: string;
  content: string;
  /** When the server first saw it (Unix ms). */
  seenAt: number;
}

/** An entry of an agent's append-only event log: a change of state, or a new message. */
export interface AgentEvent extends TaskEvent<AgentState> {
  agentTaskId: string;
  agoraStatus: string | null;
  message: StoredAgentMessage | null;
}

export type AgentListFilter = TaskListFilter<AgentState>;

/** The kept conversation: messages as seen in Agora's history, turns once the agent has ended. */
export interface AgentConversation {
  messages(taskId: string): Promise<StoredAgentMessage[]>;
  /**
   * Keeps the messages `pick` finds new among the kept ones (in order by number): `after` numbered on
   * after the last, `before` (older ones, seen late) numbered down below the first, so a kept number
   * never changes and the numbers' order is Agora's. Each gets its event (`eventOf`) in the agent's
   * log; answers those events. The read, the pick and the inserts are one transaction holding the
   * agent's row, so two instances merging at once number and log each message once: the second
   * reads what the first kept.
   */
  mergeMessages(
    taskId: string,
    pick: (kept: readonly StoredAgentMessage[]) => {
      before: Omit<StoredAgentMessage, 'seq'>[];
      after: Omit<StoredAgentMessage, 'seq'>[];
    },
    eventOf: (message: StoredAgentMessage) => Omit<AgentEvent, 'id'>,
  ): Promise<AgentEvent[]>;
  turns(taskId: string): Promise<unknown[]>;
  /** Keeps turns by their id; ones already kept are replaced. */
  putTurns(taskId: string, turns: { turnId: number; at: number; body: unknown }[]): Promise<void>;
}

/** The agents' rows and event log, the lookup by Agora's agent id, and the kept conversation. */
export interface AgentTable extends TaskTable<AgentRecord, AgentPatch, AgentEvent> {
  findByAgentId(agentId: string): Promise<AgentRecord | undefined>;
  conversation: AgentConversation;
}

export const ACTIVE_AGENT_STATES: readonly AgentState[] = ['starting', 'running', 'stopping'];
