import { randomUUID } from 'node:crypto';
import {
  AppErrorCode,
  MAX_TOKEN_SECONDS,
  TokenGenerateInput,
  type ParsedTranscriptionStartInput,
  type TranscriptionStartOutput,
} from '@agora-backend/shared';
import { AgoraApiError } from '../agora/index.js';
import { AppError } from '../errors.js';
import { joinOrAdopt } from '../tasks/agent-join.js';
import { insertIntent, onFreeUid, type TaskStartSettings } from '../tasks/intent.js';
import { freshTaskLife, type TranscriptionEvent, type TranscriptionRecord, type TranscriptionTable } from '../store/index.js';
import { buildJoinParams } from './request.js';
import { agentPatch } from './state.js';
import type { EventBus } from '../events/index.js';
import type { TranscriptionTransitions } from './transitions.js';

/** What a start needs of the service's settings. */
export interface TranscriptionStartSettings extends TaskStartSettings {
  store: TranscriptionTable;
  /** The channel's recorders' uids: a bot takes none of them. */
  recordings: { activeUids(channel: string): Promise<Set<string>> };
  bus?: EventBus<TranscriptionEvent> | undefined;
  onStarted?: ((record: TranscriptionRecord) => void) | undefined;
}

/** The service's settings a start needs, plus the shared transitions, the in-flight set and recovery. */
export type TranscriptionStarterOptions = TranscriptionStartSettings & {
  transitions: TranscriptionTransitions;
  /** Ids of starts running in this process; the starter adds and removes them. */
  startsInFlight: Set<string>;
  /** Finds the agent a join whose answer was lost may have started (recover.ts). */
  recovery: { recover(record: TranscriptionRecord): Promise<TranscriptionRecord> };
};

/**
 * A join that failed this way may still have started an agent: no answer (timeout, network), a
 * 5xx, or Agora's "task conflict" for our own name, which only an earlier attempt of ours can hold.
 */
const mayHaveStarted = (error: unknown) =>
  !(error instanceof AgoraApiError) || error.httpStatus >= 500 || (error.httpStatus === 409 && error.reason === 'task conflict');

function intentRow(input: ParsedTranscriptionStartInput, owner: string, uid: string, now: number): TranscriptionRecord {
  const id = randomUUID().replaceAll('-', '');
  return {
    id,
    channel: input.channel,
    uid,
    owner,
    state: 'starting',
    agentId: null,
    agoraStatus: null,
    options: input,
    // Letters and digits only: one folder per transcription.
    captionsPrefix: input.captions ? `transcriptions/${id}` : null,
    maxIdleSeconds: input.maxIdleSeconds,
    ...freshTaskLife(now),
  };
}

/** A started transcription as the starter answers it; the service adds the start's warnings. */
export type TranscriptionStarted = Omit<TranscriptionStartOutput, 'warnings'>;

function output(record: TranscriptionRecord, input: ParsedTranscriptionStartInput): TranscriptionStarted {
  return {
    id: record.id,
    channel: record.channel,
    uid: record.uid,
    agentId: record.agentId!,
    state: record.state,
    languages: input.languages,
    startedAt: new Date(record.startedAt ?? record.createdAt),
  };
}

/** join, with the intent recorded first and the outcome recorded through a transition. */
export function createTranscriptionStarter(options: TranscriptionStarterOptions) {
  const { store, agora, clock, logger, transitions } = options;

  /** Agora cannot give the bot a new token: it lasts as long as a token may (24 h); the watchdog stops the bot before it runs out. */
  const botToken = (channel: string, uid: string) =>
    options.tokens.issue(TokenGenerateInput.parse({ kind: 'rtc', channel, uid, role: 'publisher', expireSeconds: MAX_TOKEN_SECONDS }))
      .token;

  async function startOnce(
    input: ParsedTranscriptionStartInput,
    owner: string,
    uid: string,
    allocated: boolean,
  ): Promise<TranscriptionStarted> {
    const row = intentRow(input, owner, uid, clock.now());
    options.startsInFlight.add(row.id);
    try {
      await insertIntent(store, options.bus, row, { byCaller: !allocated, taken: `already transcribes channel "${row.channel}"` });
      const joined = await joinOrAdopt({
        row,
        join: () =>
          agora.stt.join(
            buildJoinParams({
              id: row.id,
              input,
              uid,
              token: botToken(input.channel, uid),
              storage: options.storage,
              captionsPrefix: row.captionsPrefix,
            }),
          ),
        mayHaveStarted,
        recover: (record) => options.recovery.recover(record),
        patchOf: agentPatch,
        move: (record, decide, source) => transitions.move(record, decide, source),
        clock,
      });
      if (joined.adopted) return output(joined.record, input);
      const updated = joined.record;
      // The poller takes over; it also sends the stop a caller asked for while join was in flight.
      options.onStarted?.(updated);
      logger.info({ transcriptionId: row.id, channel: input.channel, uid, agentId: updated.agentId }, 'transcription started');
      return output(updated, input);
    } finally {
      options.startsInFlight.delete(row.id);
    }
  }

  /** Uids of the channel's active bots and recorders: a new bot takes none of them. */
  async function takenUids(channel: string): Promise<Set<string>> {
    const [bots, recorders] = await Promise.all([store.activeUids(channel), options.recordings.activeUids(channel)]);
    return new Set([...bots, ...recorders]);
  }

  return {
    async start(input: ParsedTranscriptionStartInput, owner: string): Promise<TranscriptionStarted> {
      if (input.uid !== undefined) {
        if ((await options.recordings.activeUids(input.channel)).has(input.uid))
          throw new AppError(
            AppErrorCode.UID_CONFLICT,
            `uid ${input.uid} is recording channel "${input.channel}"; choose another uid or leave it out`,
          );
        return startOnce(input, owner, input.uid, false);
      }
      // Someone in the channel (a user Agora sees, another backend's bot) has it: pick another.
      return onFreeUid({
        range: options.uidRange,
        taken: await takenUids(input.channel),
        collided: (error) => error instanceof AgoraApiError && error.httpStatus === 409 && error.reason === 'uid conflict',
        exhausted: 'no free bot uid left in RECORDER_UID_MIN..RECORDER_UID_MAX',
        start: (uid) => startOnce(input, owner, uid, true),
      });
    },
  };
}
