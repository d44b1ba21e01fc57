import type { TranscriptionState } from '@agora-backend/shared';
import type { TaskEvent, TaskLifePatch, TaskListFilter, TaskRecord, TaskTable } from './task-types.js';

/** One transcription as the registry keeps it (the bot's uid is Agora's pubBotUid). Times are Unix milliseconds. */
export interface TranscriptionRecord extends TaskRecord<TranscriptionState> {
  /** Agora's agent_id, once join answered. */
  agentId: string | null;
  /** Agora's status word (RUNNING, STOPPED…), when known. */
  agoraStatus: string | null;
  /** The validated start input, kept so a restarted server knows what was asked for. */
  options: unknown;
  /** Where captions go in the bucket, or null when they are off. */
  captionsPrefix: string | null;
  maxIdleSeconds: number;
}

export type TranscriptionPatch = Partial<Pick<TranscriptionRecord, 'state' | 'agentId' | 'agoraStatus' | 'options'>> & TaskLifePatch;

/** An entry of a transcription's append-only event log. */
export interface TranscriptionEvent extends TaskEvent<TranscriptionState> {
  transcriptionId: string;
  agoraStatus: string | null;
}

export type TranscriptionListFilter = TaskListFilter<TranscriptionState>;

/** The transcriptions' rows and event log, and the lookup by Agora's agent id. */
export interface TranscriptionTable extends TaskTable<TranscriptionRecord, TranscriptionPatch, TranscriptionEvent> {
  findByAgentId(agentId: string): Promise<TranscriptionRecord | undefined>;
}

export const ACTIVE_TRANSCRIPTION_STATES: readonly TranscriptionState[] = ['starting', 'running', 'stopping'];
