import type { BanTable } from './ban-table.js';
import type { PresenceTable } from './presence-table.js';
import type { RecordingTable } from './recording-types.js';
import type { TranscriptionTable } from './transcription-types.js';
import type { AgentTable } from './agent-types.js';

/**
 * The registry: every kind of task's rows and event log, each a table built the same way
 * (store/task-table.ts), and the webhook notices seen. SQLite by default, PostgreSQL for several
 * instances.
 */
export interface Registry {
  recordings: RecordingTable;
  transcriptions: TranscriptionTable;
  /** Conversational AI agents, with their kept conversation. */
  agents: AgentTable;
  /** Ban rules made through channel.kick and channel.ban, with who made them and why. */
  bans: BanTable;
  /** Who is in which channel, from channel event notices and reconciliation, with each stay's history. */
  presence: PresenceTable;
  /**
   * Remembers a webhook notice id for `ttlMs`; false when it was already seen (a duplicate or a
   * replay). Survives restarts and is shared by every instance on PostgreSQL.
   */
  rememberNotice(noticeId: string, now: number, ttlMs: number): Promise<boolean>;
  /** For /readyz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
