import type { TranscriptionState } from '@agora-backend/shared';
import type { StoredError, TaskLife, TaskLifePatch } from './types.js';

/** One transcription as the registry keeps it. Times are Unix milliseconds. */
export interface TranscriptionRecord extends TaskLife {
  id: string;
  channel: string;
  /** The bot's uid (Agora's pubBotUid). */
  uid: string;
  owner: string;
  state: TranscriptionState;
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
export interface TranscriptionEvent {
  id: number;
  transcriptionId: string;
  at: number;
  state: TranscriptionState;
  agoraStatus: string | null;
  source: 'poll' | 'webhook' | 'api';
  /** The row's last error when the event was written (why it failed, on a failed event). */
  lastError: StoredError | null;
}

export interface TranscriptionListFilter {
  channel?: string | undefined;
  owner?: string | undefined;
  state?: TranscriptionState | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** The transcriptions' part of the registry: the same database, its own tables. */
export interface TranscriptionStore {
  /** Records the intent, before any Agora call, with its first event. Throws UidTakenError on a taken bot uid. */
  insert(record: TranscriptionRecord): Promise<TranscriptionEvent>;
  /** Compare-and-set on the version, the event appended in the same transaction; undefined when another write came first. */
  transition(id: string, expectedVersion: number, patch: TranscriptionPatch, now: number, event?: Pick<TranscriptionEvent, 'source'>): Promise<{ record: TranscriptionRecord; event: TranscriptionEvent | undefined } | undefined>;
  get(id: string): Promise<TranscriptionRecord | undefined>;
  findByAgentId(agentId: string): Promise<TranscriptionRecord | undefined>;
  list(filter: TranscriptionListFilter): Promise<{ items: TranscriptionRecord[]; nextCursor: string | null }>;
  /** Transcriptions in starting, running or stopping state. */
  listActive(): Promise<TranscriptionRecord[]>;
  /** How many transcriptions are in each state (for metrics). */
  countByState(): Promise<Partial<Record<TranscriptionState, number>>>;
  /** Bot uids active transcriptions of this channel use. */
  activeUids(channel: string): Promise<Set<string>>;
  latestEvent(transcriptionId: string): Promise<TranscriptionEvent | undefined>;
  eventsAfter(transcriptionId: string, afterId: number): Promise<TranscriptionEvent[]>;
}

export const ACTIVE_TRANSCRIPTION_STATES: readonly TranscriptionState[] = ['starting', 'running', 'stopping'];
