import { randomUUID } from 'node:crypto';
import {
  MAX_RECORDING_SECONDS,
  MAX_TOKEN_SECONDS,
  TokenGenerateInput,
  type ParsedRecordingStartInput,
  type RecordingStartOutput,
} from '@agora-backend/shared';
import { AgoraApiError, type StorageConfig } from '../agora/index.js';
import { freshTaskLife, type RecordingRecord, type RecordingTable } from '../store/index.js';
import type { EventBus } from '../events/index.js';
import { buildStartParams } from './agora-request.js';
import type { Transitions } from './transitions.js';
import { insertIntent, onFreeUid, type TaskStartSettings } from '../tasks/intent.js';
import { startFailure } from '../tasks/failure.js';

/** Extra token lifetime beyond the recording's maximum, so the token never ends the recording. */
const TOKEN_MARGIN_SECONDS = 600;

/** A started recording as the starter answers it; the service adds the start's warnings. */
export type RecordingStarted = Omit<RecordingStartOutput, 'warnings'>;

/** What a start needs of the service's settings. */
export interface RecordingStartSettings extends TaskStartSettings {
  store: RecordingTable;
  defaultMaxDurationSeconds: number;
}

/** The service's settings a start needs, plus the shared transitions and the in-flight set. */
export type StarterOptions = RecordingStartSettings & {
  transitions: Transitions;
  bus?: EventBus | undefined;
  /** Ids of starts running in this process; the starter adds and removes them. */
  startsInFlight: Set<string>;
  /** Called once Agora returned a sid and the row has it. */
  onStarted?: ((record: RecordingRecord) => void) | undefined;
};

function intentRow(input: ParsedRecordingStartInput, owner: string, uid: string, maxDurationSeconds: number, now: number): RecordingRecord {
  const id = randomUUID().replaceAll('-', '');
  return {
    id,
    channel: input.channel,
    uid,
    mode: input.mode,
    owner,
    state: 'starting',
    resourceId: null,
    sid: null,
    agoraStatus: null,
    files: [],
    uploadingStatus: null,
    options: input,
    // Letters and digits only (docs/agora.md, "Storage"): one folder per recording.
    fileNamePrefix: `recordings/${id}`,
    maxDurationSeconds,
    ...freshTaskLife(now),
  };
}

/** acquire → start, with the intent recorded first and the outcome recorded through a transition. */
export function createRecordingStarter(options: StarterOptions) {
  const { store, agora, clock, logger, transitions } = options;

  function recorderToken(input: ParsedRecordingStartInput, uid: string, maxDurationSeconds: number): string {
    if (input.mode === 'web') return '';
    // Agora cannot renew the recorder's token: it must outlive the longest recording.
    const expireSeconds = Math.min(MAX_TOKEN_SECONDS, maxDurationSeconds + TOKEN_MARGIN_SECONDS);
    return options.tokens.issue(TokenGenerateInput.parse({ kind: 'rtc', channel: input.channel, uid, role: 'publisher', expireSeconds }))
      .token;
  }

  async function startOnce(input: ParsedRecordingStartInput, owner: string, uid: string, allocated: boolean): Promise<RecordingStarted> {
    const maxDurationSeconds = Math.min(input.maxDurationSeconds ?? options.defaultMaxDurationSeconds, MAX_RECORDING_SECONDS);
    const row = intentRow(input, owner, uid, maxDurationSeconds, clock.now());
    options.startsInFlight.add(row.id);
    try {
      await insertIntent(store, options.bus, row, { byCaller: !allocated, taken: `is already recording channel "${row.channel}"` });
      const acquiring = agora.acquire({ cname: input.channel, uid, clientRequest: { scene: input.mode === 'web' ? 1 : 0 } });
      acquiring.catch(() => undefined); // awaited below; this only keeps an early rejection handled
      // The token is built while acquire is in flight.
      const token = recorderToken(input, uid, maxDurationSeconds);
      let resourceId: string | null = null;
      try {
        ({ resourceId } = await acquiring);
        const storage: StorageConfig = { ...options.storage, fileNamePrefix: row.fileNamePrefix.split('/') };
        const started = await agora.start(buildStartParams({ input, resourceId, uid, token, storage, maxDurationSeconds }));
        return await recordStarted(row, input, resourceId, started.sid, maxDurationSeconds);
      } catch (error) {
        // The resourceId stays on the failed row: Agora's support asks for it.
        await transitions.move(
          row,
          () => ({ state: 'failed', lastError: startFailure(error), stoppedAt: clock.now(), ...(resourceId ? { resourceId } : {}) }),
          'api',
        );
        throw error;
      }
    } finally {
      options.startsInFlight.delete(row.id);
    }
  }

  /** resourceId and sid in one write (Agora can be asked about a recording only with both). */
  async function recordStarted(
    row: RecordingRecord,
    input: ParsedRecordingStartInput,
    resourceId: string,
    sid: string,
    maxDurationSeconds: number,
  ): Promise<RecordingStarted> {
    const startedAt = clock.now();
    const updated = await transitions.move(row, () => ({ resourceId, sid, startedAt }), 'api');
    // onStarted hands the recording to its poller, which also sends the stop a caller asked for
    // while the start was in flight (the row is "stopping" then).
    options.onStarted?.(updated);
    logger.info({ recordingId: row.id, channel: input.channel, uid: row.uid, mode: input.mode }, 'recording started');
    return {
      id: row.id,
      channel: input.channel,
      uid: row.uid,
      mode: input.mode,
      resourceId,
      sid,
      state: updated.state,
      startedAt: new Date(startedAt),
      maxDurationSeconds,
    };
  }

  return {
    /** Starts a recording: uid allocation, recorder token, acquire, start. */
    async start(input: ParsedRecordingStartInput, owner: string): Promise<RecordingStarted> {
      // A uid the caller chose: the registry's unique index refuses one already recording the
      // channel (UID_CONFLICT before any Agora call), so there is nothing to read first.
      if (input.uid !== undefined) return startOnce(input, owner, input.uid, false);
      // A random uid from a range of millions is almost never taken, so the channel's active uids
      // are read only after a collision (a small RECORDER_UID range then fills in from that set).
      // Agora answers 53 when a task outside our registry holds the uid: pick another.
      return onFreeUid({
        range: options.uidRange,
        taken: () => store.activeUids(input.channel),
        collided: (error) => error instanceof AgoraApiError && error.code === 53,
        exhausted: 'no free recorder uid left in RECORDER_UID_MIN..RECORDER_UID_MAX',
        start: (uid) => startOnce(input, owner, uid, true),
      });
    },
  };
}
