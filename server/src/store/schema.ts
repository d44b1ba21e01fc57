import type { ColumnType } from 'kysely';

/** bigint columns: PostgreSQL returns them as strings, SQLite as numbers; we write numbers. */
type BigIntColumn = ColumnType<number | string, number, number>;
type NullableBigIntColumn = ColumnType<number | string | null, number | null, number | null>;

/** Tables as Kysely sees them. JSON columns hold text; times are Unix ms. */
export interface Database {
  recordings: {
    id: string;
    channel: string;
    uid: string;
    mode: string;
    owner: string;
    state: string;
    /** 1 while the recording is starting/recording/stopping: the unique (channel, uid) index keys on it. */
    active: number;
    resource_id: string | null;
    sid: string | null;
    agora_status: number | null;
    files: string;
    uploading_status: string | null;
    options: string;
    file_name_prefix: string;
    max_duration_seconds: number;
    last_error: string | null;
    created_at: BigIntColumn;
    started_at: NullableBigIntColumn;
    updated_at: BigIntColumn;
    stopped_at: NullableBigIntColumn;
    version: ColumnType<number, number | undefined, number>;
    not_found_since: NullableBigIntColumn;
    not_found_last_at: NullableBigIntColumn;
  };
  channel_bans: {
    /** Agora's rule id. */
    id: BigIntColumn;
    channel: string | null;
    uid: NullableBigIntColumn;
    ip: string | null;
    /** JSON: Agora's privilege names. */
    privileges: string;
    seconds: number;
    created_by: string;
    reason: string | null;
    created_at: BigIntColumn;
    expires_at: NullableBigIntColumn;
    removed_at: NullableBigIntColumn;
  };
  webhook_notices: {
    notice_id: string;
    seen_at: BigIntColumn;
  };
  transcriptions: {
    id: string;
    channel: string;
    uid: string;
    owner: string;
    state: string;
    /** 1 while starting/running/stopping: the unique (channel, uid) index keys on it. */
    active: number;
    agent_id: string | null;
    agora_status: string | null;
    options: string;
    captions_prefix: string | null;
    max_idle_seconds: number;
    last_error: string | null;
    created_at: BigIntColumn;
    started_at: NullableBigIntColumn;
    updated_at: BigIntColumn;
    stopped_at: NullableBigIntColumn;
    version: number;
    not_found_since: NullableBigIntColumn;
    not_found_last_at: NullableBigIntColumn;
  };
  transcription_events: {
    id: ColumnType<number | string, undefined, never>;
    transcription_id: string;
    at: BigIntColumn;
    state: string;
    agora_status: string | null;
    source: string;
    last_error: ColumnType<string | null, string | null | undefined, never>;
  };
  recording_events: {
    id: ColumnType<number | string, undefined, never>;
    recording_id: string;
    at: BigIntColumn;
    state: string;
    agora_status: number | null;
    files: string;
    source: string;
    last_error: ColumnType<string | null, string | null | undefined, never>;
  };
  agents: {
    id: string;
    channel: string;
    uid: string;
    owner: string;
    state: string;
    /** 1 while starting/running/stopping: the unique (channel, uid) index keys on it. */
    active: number;
    agent_id: string | null;
    agora_status: string | null;
    profile: string;
    options: string;
    token_expires_at: NullableBigIntColumn;
    turns_complete: ColumnType<number, number | undefined, number>;
    last_error: string | null;
    created_at: BigIntColumn;
    started_at: NullableBigIntColumn;
    updated_at: BigIntColumn;
    stopped_at: NullableBigIntColumn;
    version: number;
    not_found_since: NullableBigIntColumn;
    not_found_last_at: NullableBigIntColumn;
  };
  agent_events: {
    id: ColumnType<number | string, undefined, never>;
    agent_task_id: string;
    at: BigIntColumn;
    state: string;
    agora_status: string | null;
    source: string;
    last_error: ColumnType<string | null, string | null | undefined, never>;
    message: ColumnType<string | null, string | null | undefined, never>;
  };
  agent_conversation: {
    agent_task_id: string;
    kind: string;
    seq: number;
    at: BigIntColumn;
    body: string;
  };
  presence_channels: {
    channel: string;
    reconciled_at: NullableBigIntColumn;
    updated_at: BigIntColumn;
  };
  presence_members: {
    channel: string;
    uid: BigIntColumn;
    present: number;
    role: string;
    platform: number | null;
    joined_at: NullableBigIntColumn;
    source: string;
    last_ts: NullableBigIntColumn;
    last_seq: NullableBigIntColumn;
    changed_at: BigIntColumn;
  };
  presence_sessions: {
    id: ColumnType<number | string, undefined, never>;
    channel: string;
    uid: BigIntColumn;
    role: string;
    platform: number | null;
    joined_at: BigIntColumn;
    left_at: NullableBigIntColumn;
    leave_reason: string | null;
    source: string;
  };
  presence_events: {
    id: ColumnType<number | string, undefined, never>;
    channel: string;
    uid: BigIntColumn;
    kind: string;
    role: string;
    platform: number | null;
    at: BigIntColumn;
    reason: string | null;
    source: string;
  };
}
