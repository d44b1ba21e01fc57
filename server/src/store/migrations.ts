import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Schema migrations, the same for SQLite and PostgreSQL. Add new ones at the end; never edit one
 * that has shipped. Run at start-up by createStore.
 */
export function migrations(dialect: 'sqlite' | 'postgres'): MigrationProvider {
  const list: Record<string, Migration> = {
    '0001_recordings': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('recordings')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('channel', 'text', (col) => col.notNull())
          .addColumn('uid', 'text', (col) => col.notNull())
          .addColumn('mode', 'text', (col) => col.notNull())
          .addColumn('owner', 'text', (col) => col.notNull())
          .addColumn('state', 'text', (col) => col.notNull())
          .addColumn('active', 'integer', (col) => col.notNull())
          .addColumn('resource_id', 'text')
          .addColumn('sid', 'text')
          .addColumn('agora_status', 'integer')
          .addColumn('files', 'text', (col) => col.notNull())
          .addColumn('uploading_status', 'text')
          .addColumn('options', 'text', (col) => col.notNull())
          .addColumn('file_name_prefix', 'text', (col) => col.notNull())
          .addColumn('max_duration_seconds', 'integer', (col) => col.notNull())
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('started_at', 'bigint')
          .addColumn('updated_at', 'bigint', (col) => col.notNull())
          .addColumn('stopped_at', 'bigint')
          .execute();
        // Two active recordings of one channel can never share a uid, even when two servers
        // start them at the same moment: Agora would refuse the second with code 53.
        await db.schema
          .createIndex('recordings_active_channel_uid')
          .on('recordings')
          .columns(['channel', 'uid'])
          .unique()
          .where(sql.ref('active'), '=', 1)
          .execute();
        await db.schema.createIndex('recordings_session').on('recordings').columns(['resource_id', 'sid']).execute();
        await db.schema.createIndex('recordings_listing').on('recordings').columns(['created_at', 'id']).execute();
        await db.schema
          .createTable('recording_events')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (col) =>
            dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement(),
          )
          .addColumn('recording_id', 'text', (col) => col.notNull().references('recordings.id'))
          .addColumn('at', 'bigint', (col) => col.notNull())
          .addColumn('state', 'text', (col) => col.notNull())
          .addColumn('agora_status', 'integer')
          .addColumn('files', 'text', (col) => col.notNull())
          .addColumn('source', 'text', (col) => col.notNull())
          .execute();
        await db.schema.createIndex('recording_events_by_recording').on('recording_events').columns(['recording_id', 'id']).execute();
      },
    },
    '0002_versions_and_notices': {
      async up(db: Kysely<unknown>) {
        // Compare-and-set on every write, and how long Agora has answered 404 (failover or gone).
        await db.schema
          .alterTable('recordings')
          .addColumn('version', 'integer', (col) => col.notNull().defaultTo(0))
          .execute();
        await db.schema.alterTable('recordings').addColumn('not_found_since', 'bigint').execute();
        await db.schema.alterTable('recordings').addColumn('not_found_last_at', 'bigint').execute();
        // Webhook notice ids seen, for de-duplication across restarts and instances.
        await db.schema
          .createTable('webhook_notices')
          .addColumn('notice_id', 'text', (col) => col.primaryKey())
          .addColumn('seen_at', 'bigint', (col) => col.notNull())
          .execute();
        await db.schema.createIndex('webhook_notices_seen_at').on('webhook_notices').column('seen_at').execute();
      },
    },
    '0003_transcriptions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('transcriptions')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('channel', 'text', (col) => col.notNull())
          .addColumn('uid', 'text', (col) => col.notNull())
          .addColumn('owner', 'text', (col) => col.notNull())
          .addColumn('state', 'text', (col) => col.notNull())
          .addColumn('active', 'integer', (col) => col.notNull())
          .addColumn('agent_id', 'text')
          .addColumn('agora_status', 'text')
          .addColumn('options', 'text', (col) => col.notNull())
          .addColumn('captions_prefix', 'text')
          .addColumn('max_idle_seconds', 'integer', (col) => col.notNull())
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('started_at', 'bigint')
          .addColumn('updated_at', 'bigint', (col) => col.notNull())
          .addColumn('stopped_at', 'bigint')
          .addColumn('version', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('not_found_since', 'bigint')
          .addColumn('not_found_last_at', 'bigint')
          .execute();
        // One bot per uid per channel among active transcriptions, whichever server starts them.
        await db.schema
          .createIndex('transcriptions_active_channel_uid')
          .on('transcriptions')
          .columns(['channel', 'uid'])
          .unique()
          .where(sql.ref('active'), '=', 1)
          .execute();
        await db.schema.createIndex('transcriptions_agent').on('transcriptions').column('agent_id').execute();
        await db.schema.createIndex('transcriptions_listing').on('transcriptions').columns(['created_at', 'id']).execute();
        await db.schema
          .createTable('transcription_events')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (col) =>
            dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement(),
          )
          .addColumn('transcription_id', 'text', (col) => col.notNull().references('transcriptions.id'))
          .addColumn('at', 'bigint', (col) => col.notNull())
          .addColumn('state', 'text', (col) => col.notNull())
          .addColumn('agora_status', 'text')
          .addColumn('source', 'text', (col) => col.notNull())
          .execute();
        await db.schema
          .createIndex('transcription_events_by_transcription')
          .on('transcription_events')
          .columns(['transcription_id', 'id'])
          .execute();
      },
    },
    '0004_event_errors': {
      async up(db: Kysely<unknown>) {
        // Each event keeps the row's last error of its moment: a replayed `failed` says why.
        await db.schema.alterTable('recording_events').addColumn('last_error', 'text').execute();
        await db.schema.alterTable('transcription_events').addColumn('last_error', 'text').execute();
      },
    },
    '0005_agents': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('agents')
          .addColumn('id', 'text', (col) => col.primaryKey())
          .addColumn('channel', 'text', (col) => col.notNull())
          .addColumn('uid', 'text', (col) => col.notNull())
          .addColumn('owner', 'text', (col) => col.notNull())
          .addColumn('state', 'text', (col) => col.notNull())
          .addColumn('active', 'integer', (col) => col.notNull())
          .addColumn('agent_id', 'text')
          .addColumn('agora_status', 'text')
          .addColumn('profile', 'text', (col) => col.notNull())
          .addColumn('options', 'text', (col) => col.notNull())
          .addColumn('token_expires_at', 'bigint')
          .addColumn('turns_complete', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('started_at', 'bigint')
          .addColumn('updated_at', 'bigint', (col) => col.notNull())
          .addColumn('stopped_at', 'bigint')
          .addColumn('version', 'integer', (col) => col.notNull().defaultTo(0))
          .addColumn('not_found_since', 'bigint')
          .addColumn('not_found_last_at', 'bigint')
          .execute();
        // One agent per uid per channel among active agents, whichever server starts them.
        await db.schema
          .createIndex('agents_active_channel_uid')
          .on('agents')
          .columns(['channel', 'uid'])
          .unique()
          .where(sql.ref('active'), '=', 1)
          .execute();
        await db.schema.createIndex('agents_agent').on('agents').column('agent_id').execute();
        await db.schema.createIndex('agents_listing').on('agents').columns(['created_at', 'id']).execute();
        await db.schema
          .createTable('agent_events')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (col) =>
            dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement(),
          )
          .addColumn('agent_task_id', 'text', (col) => col.notNull().references('agents.id'))
          .addColumn('at', 'bigint', (col) => col.notNull())
          .addColumn('state', 'text', (col) => col.notNull())
          .addColumn('agora_status', 'text')
          .addColumn('source', 'text', (col) => col.notNull())
          .addColumn('last_error', 'text')
          // A new message of the conversation, when the event is about one (agent.watch streams it).
          .addColumn('message', 'text')
          .execute();
        await db.schema.createIndex('agent_events_by_agent').on('agent_events').columns(['agent_task_id', 'id']).execute();
        // The kept conversation: Agora answers history only while the agent runs, turns for 7 days.
        await db.schema
          .createTable('agent_conversation')
          .addColumn('agent_task_id', 'text', (col) => col.notNull().references('agents.id'))
          .addColumn('kind', 'text', (col) => col.notNull())
          .addColumn('seq', 'integer', (col) => col.notNull())
          .addColumn('at', 'bigint', (col) => col.notNull())
          .addColumn('body', 'text', (col) => col.notNull())
          .addPrimaryKeyConstraint('agent_conversation_pk', ['agent_task_id', 'kind', 'seq'])
          .execute();
      },
    },
    '0006_channel_bans': {
      async up(db: Kysely<unknown>) {
        // Agora's ban rule ids, with who made each through this server and why (channel.kick, channel.ban).
        await db.schema
          .createTable('channel_bans')
          .addColumn('id', 'bigint', (col) => col.primaryKey())
          .addColumn('channel', 'text')
          .addColumn('uid', 'bigint')
          .addColumn('ip', 'text')
          .addColumn('privileges', 'text', (col) => col.notNull())
          .addColumn('seconds', 'integer', (col) => col.notNull())
          .addColumn('created_by', 'text', (col) => col.notNull())
          .addColumn('reason', 'text')
          .addColumn('created_at', 'bigint', (col) => col.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('removed_at', 'bigint')
          .execute();
        await db.schema.createIndex('channel_bans_channel').on('channel_bans').columns(['channel', 'created_at']).execute();
      },
    },
    '0007_presence': {
      async up(db: Kysely<unknown>) {
        const serial = (name: string) =>
          [
            name,
            dialect === 'postgres' ? 'bigserial' : 'integer',
            (col: ColumnDefinitionBuilder) => (dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement()),
          ] as const;
        // One row per channel presence has seen: the row every change of the channel locks, and when
        // it was last compared with Agora's user list.
        await db.schema
          .createTable('presence_channels')
          .addColumn('channel', 'text', (col) => col.primaryKey())
          .addColumn('reconciled_at', 'bigint')
          .addColumn('updated_at', 'bigint', (col) => col.notNull())
          .execute();
        // Per (channel, uid): in the channel or not, and the newest notice applied (Agora's ts and
        // clientSeq), kept after a leave so that a late older notice cannot undo a newer one.
        await db.schema
          .createTable('presence_members')
          .addColumn('channel', 'text', (col) => col.notNull())
          .addColumn('uid', 'bigint', (col) => col.notNull())
          .addColumn('present', 'integer', (col) => col.notNull())
          .addColumn('role', 'text', (col) => col.notNull())
          .addColumn('platform', 'integer')
          .addColumn('joined_at', 'bigint')
          .addColumn('source', 'text', (col) => col.notNull())
          .addColumn('last_ts', 'bigint')
          .addColumn('last_seq', 'bigint')
          .addColumn('changed_at', 'bigint', (col) => col.notNull())
          .addPrimaryKeyConstraint('presence_members_pk', ['channel', 'uid'])
          .execute();
        await db.schema.createIndex('presence_members_present').on('presence_members').columns(['present', 'channel']).execute();
        // Each stay in a channel, for "how long was uid 42 in room1".
        await db.schema
          .createTable('presence_sessions')
          .addColumn(...serial('id'))
          .addColumn('channel', 'text', (col) => col.notNull())
          .addColumn('uid', 'bigint', (col) => col.notNull())
          .addColumn('role', 'text', (col) => col.notNull())
          .addColumn('platform', 'integer')
          .addColumn('joined_at', 'bigint', (col) => col.notNull())
          .addColumn('left_at', 'bigint')
          .addColumn('leave_reason', 'text')
          .addColumn('source', 'text', (col) => col.notNull())
          .execute();
        await db.schema.createIndex('presence_sessions_by_user').on('presence_sessions').columns(['channel', 'uid', 'joined_at']).execute();
        await db.schema.createIndex('presence_sessions_by_channel').on('presence_sessions').columns(['channel', 'joined_at']).execute();
        // What channel.watch streams and resumes from: each join, leave and role change, in the order applied.
        await db.schema
          .createTable('presence_events')
          .addColumn(...serial('id'))
          .addColumn('channel', 'text', (col) => col.notNull())
          .addColumn('uid', 'bigint', (col) => col.notNull())
          .addColumn('kind', 'text', (col) => col.notNull())
          .addColumn('role', 'text', (col) => col.notNull())
          .addColumn('platform', 'integer')
          .addColumn('at', 'bigint', (col) => col.notNull())
          .addColumn('reason', 'text')
          .addColumn('source', 'text', (col) => col.notNull())
          .execute();
        await db.schema.createIndex('presence_events_by_channel').on('presence_events').columns(['channel', 'id']).execute();
      },
    },
  };
  return { getMigrations: () => Promise.resolve(list) };
}
