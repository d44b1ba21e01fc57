import type { z } from 'zod';
import {
  AppErrorCode,
  type ParsedTranscriptionStartInput,
  type Transcription,
  type TranscriptionFilesInput,
  type TranscriptionFilesOutput,
  type TranscriptionListInput,
  type TranscriptionQueryOutput,
  type TranscriptionStartOutput,
  type TranscriptionStopOutput,
  type TranscriptionUpdateInput,
} from '@agora-backend/shared';
import { AppError } from '../errors.js';
import { createUnlinkedStorage, type LinkSigner, type RecordingStorage } from '../storage/index.js';
import { ACTIVE_TRANSCRIPTION_STATES, type StoredError, type TranscriptionRecord } from '../store/index.js';
import type { NotFoundRule } from '../tasks/not-found.js';
import { listCaptionObjects } from './files.js';
import type { CallOptions } from '../agora/index.js';
import type { Leases } from '../cluster/types.js';
import { createClaims } from '../tasks/claims.js';
import { mayView, queryAnswer, stopAnswer, type Viewer } from '../tasks/views.js';
import { createRecovery } from './recover.js';
import { createTranscriptionStarter, type TranscriptionStartSettings } from './start.js';
import { createTranscriptionStopper } from './stop.js';
import { createTranscriptionTransitions } from './transitions.js';
import { startOptionsOf, toTranscription, transcriptionNotFound } from './views.js';
import { startWithWarnings } from '../tasks/start-warnings.js';

export interface TranscriptionServiceOptions extends TranscriptionStartSettings {
  notFound: NotFoundRule;
  files?: RecordingStorage | undefined;
  linkSigner?: LinkSigner | undefined;
  onEnded?: ((record: TranscriptionRecord) => void) | undefined;
  /**
   * With several instances, a start with no agent id this long may still be running on another
   * one (its join in flight); 0 with one instance: a start not running here was interrupted.
   */
  startSettleMs?: number;
  /** With several instances: one leave in flight per transcription, cluster-wide. */
  leases?: Leases | undefined;
}

type Parsed<T extends z.ZodType> = z.output<T>;

/**
 * Real-Time Transcription (docs/architecture.md, "A transcription"): the procedures' entry points,
 * built like recordings' — an intent row before join, transitions for every change, a stop that
 * reports `stopped` only once Agora confirms it.
 */
export function createTranscriptionService(options: TranscriptionServiceOptions) {
  const { store, agora, clock, logger } = options;
  const transitions = createTranscriptionTransitions({ store, clock, bus: options.bus, onEnded: options.onEnded });
  const startsInFlight = new Set<string>();
  const recovery = createRecovery({ store, agora, clock, logger, transitions, onAdopted: options.onStarted });
  const starter = createTranscriptionStarter({ ...options, transitions, startsInFlight, recovery });
  const startLook = {
    lookup: options.publishers,
    clock,
    logger,
    consequence: 'there is nothing to transcribe until someone does',
  };
  const stopper = createTranscriptionStopper({
    agora,
    clock,
    logger,
    transitions,
    notFound: options.notFound,
    claims: createClaims('leave', options.leases),
  });
  const files = options.files ?? createUnlinkedStorage('no storage is configured for reading captions back');

  async function find(id: string, viewer: Viewer): Promise<TranscriptionRecord> {
    const record = await store.get(id);
    // Someone else's answers exactly as a missing one: ids reveal nothing.
    if (!record || !mayView(viewer, record.owner)) throw transcriptionNotFound();
    return record;
  }

  /** Whether a start with no agent id may still get one: its join runs here, or may run on another instance. */
  const mayStillJoin = (record: TranscriptionRecord) =>
    startsInFlight.has(record.id) || clock.now() - record.createdAt < (options.startSettleMs ?? 0);

  async function stopRecord(record: TranscriptionRecord, source: 'api' | 'poll') {
    if (!record.agentId && mayStillJoin(record)) {
      // Whoever gets the agent id finds the row stopping and has its poller send the leave.
      return { record: await transitions.move(record, () => ({ state: 'stopping' }), source), alreadyStopped: false };
    }
    // A start interrupted before Agora named its agent: find the agent first, or settle the row.
    return stopper.stop(record.agentId ? record : await recovery.recover(record), source);
  }

  return {
    start: (input: ParsedTranscriptionStartInput, owner: string): Promise<TranscriptionStartOutput> =>
      startWithWarnings(startLook, input.channel, () => starter.start(input, owner)),

    /** Current status from Agora (a 404 keeps the stored state until it outlasts the failover window). */
    async query(id: string, viewer: Viewer): Promise<TranscriptionQueryOutput> {
      return queryAnswer(await find(id, viewer), ACTIVE_TRANSCRIPTION_STATES, (record) => stopper.observe(record, 'api'));
    },

    async stop(id: string, viewer: Viewer): Promise<TranscriptionStopOutput> {
      return stopAnswer(id, await stopRecord(await find(id, viewer), 'api'));
    },

    /** For the watchdog: a transcription whose bot token is about to run out. */
    stopRecord,

    async get(id: string, viewer: Viewer): Promise<Transcription> {
      return toTranscription(await find(id, viewer));
    },

    async list(input: Parsed<typeof TranscriptionListInput>, viewer: Viewer) {
      const page = await store.list({ ...input, ...(viewer.admin ? {} : { owner: viewer.id }) });
      return { items: page.items.map(toTranscription), nextCursor: page.nextCursor };
    },

    /** Changes languages, translation or speakers; Agora's idle and lifetime timers keep running. */
    async update(input: Parsed<typeof TranscriptionUpdateInput>, viewer: Viewer) {
      const record = await find(input.id, viewer);
      if (!ACTIVE_TRANSCRIPTION_STATES.includes(record.state) || record.state === 'stopping' || !record.agentId) {
        throw new AppError(AppErrorCode.TRANSCRIPTION_ENDED, `transcription ${record.id} is ${record.state}; it can no longer be changed`);
      }
      const current = startOptionsOf(record);
      const languages = input.languages ?? current.languages;
      const translate = input.translate ?? current.translate ?? [];
      const badSource = translate.find((pair) => !languages.includes(pair.source));
      if (badSource)
        throw new AppError(
          AppErrorCode.VALIDATION,
          `translate: source ${badSource.source} must be one of languages (${languages.join(', ')})`,
        );
      await agora.stt.update({
        agentId: record.agentId,
        // Agora applies an update only if its sequenceId exceeds the last one: time in ms always does.
        sequenceId: clock.now(),
        ...(input.languages ? { languages: input.languages } : {}),
        ...(input.subscribeUids ? { subscribeAudioUids: input.subscribeUids } : input.subscribeAll ? { subscribeAudioUids: ['all'] } : {}),
        ...(input.translate
          ? {
              translate: input.translate.length > 0 ? input.translate.map((pair) => ({ source: pair.source, target: pair.targets })) : null,
            }
          : {}),
      });
      await transitions.move(record, (row) => ({ options: { ...(row.options as object), languages, translate } }), 'api');
      return { id: record.id, updatedAt: new Date(clock.now()) };
    },

    /** The caption files in the bucket, each with a link that expires. */
    async files(input: Parsed<typeof TranscriptionFilesInput>, viewer: Viewer, origin: string): Promise<TranscriptionFilesOutput> {
      return listCaptionObjects(await find(input.id, viewer), files, {
        expiresInSeconds: input.expiresInSeconds,
        origin,
        clock,
        signer: options.linkSigner,
      });
    },

    /** For the pollers: a stopping transcription gets its leave sent again; others are queried. */
    async reconcile(record: TranscriptionRecord, call: CallOptions = {}): Promise<TranscriptionRecord> {
      if (record.state === 'stopping' && record.agentId) return stopper.resend(record, call);
      return (await stopper.observe(record, 'poll', call)).record;
    },

    visible: (id: string, viewer: Viewer) => find(id, viewer),

    /** Keeps why a transcription failed (a notice said), whatever its state. */
    recordFailure: (record: TranscriptionRecord, failure: StoredError) =>
      transitions.move(record, () => ({ lastError: failure }), 'webhook'),

    /** For the watchdog: a start with no agent id that is not running anywhere any more (find its agent, or settle it). */
    settleStart: (record: TranscriptionRecord) => recovery.recover(record),

    /** Whether this process is joining for the transcription right now. */
    isStarting: (id: string) => startsInFlight.has(id),

    /** For the watchdog: leave this row alone, its join may still answer. */
    mayStillJoin,
  };
}

export type TranscriptionService = ReturnType<typeof createTranscriptionService>;
