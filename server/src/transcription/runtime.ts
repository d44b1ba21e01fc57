import { MAX_TOKEN_SECONDS, type TranscriptionStatusEvent } from '@agora-backend/shared';
import type { AgoraClient, StorageConfig } from '../agora/index.js';
import type { LinkSigner, RecordingStorage } from '../storage/index.js';
import type { Registry, StoredError, TranscriptionEvent, TranscriptionRecord } from '../store/index.js';
import { createTaskRuntime, type TaskKind, type TaskRuntimeDeps, type TaskSettings } from '../tasks/runtime.js';
import type { TokenIssuer } from '../tokens/index.js';
import { createTranscriptionService, type TranscriptionService } from './service.js';
import { isTerminal } from './state.js';

export interface TranscriptionSettings extends TaskSettings {
  storage: StorageConfig;
  uidRange: { min: number; max: number };
}

export interface TranscriptionRuntimeDeps extends TaskRuntimeDeps<TranscriptionEvent> {
  /** The registry: its `transcriptions` table, and its recordings' uids. */
  registry: Registry;
  agora: AgoraClient;
  tokens: TokenIssuer;
  files?: RecordingStorage | undefined;
  linkSigner?: LinkSigner | undefined;
}

/** Stop a bot this long before its token (24 h, not renewable) runs out, rather than let Agora drop it. */
const TOKEN_MARGIN_MS = 600_000;

/** Whether the bot's token is about to run out (then it is stopped rather than dropped by Agora). */
function tokenRunsOut(record: TranscriptionRecord, now: number): boolean {
  return (
    record.agentId !== null &&
    record.state !== 'stopping' &&
    now >= (record.startedAt ?? record.createdAt) + MAX_TOKEN_SECONDS * 1000 - TOKEN_MARGIN_MS
  );
}

export const transcriptionTopic = (event: TranscriptionEvent) => event.transcriptionId;

function toStatusEvent(event: TranscriptionEvent): TranscriptionStatusEvent {
  return {
    id: event.transcriptionId,
    state: event.state,
    agoraStatus: event.agoraStatus,
    at: new Date(event.at),
    source: event.source,
    lastError: event.lastError,
  };
}

/** Real-Time Transcription as a kind of task: its table, its states, its events as clients see them, and its service. */
export function transcriptionKind(
  settings: TranscriptionSettings,
  deps: TranscriptionRuntimeDeps,
): TaskKind<TranscriptionRecord, TranscriptionEvent, TranscriptionService, TranscriptionStatusEvent> {
  const store = deps.registry.transcriptions;
  return {
    kind: 'transcription',
    settleLease: 'transcription-watchdog',
    table: store,
    topic: transcriptionTopic,
    isTerminal,
    started: (record) => record.agentId !== null,
    // A notice (101) may wake the poller before the agent is up: confirm again soon, not in 30 s.
    settling: (record) => record.state === 'starting',
    deadline: { passed: tokenRunsOut, reason: "the bot's token is about to expire" },
    toStatusEvent,
    createService: (hooks) =>
      createTranscriptionService({
        store,
        recordings: deps.registry.recordings,
        agora: deps.agora,
        tokens: deps.tokens,
        clock: deps.clock,
        logger: deps.logger,
        storage: settings.storage,
        uidRange: settings.uidRange,
        publishers: deps.publishers,
        notFound: hooks.notFound,
        bus: hooks.bus,
        files: deps.files,
        linkSigner: deps.linkSigner,
        onStarted: hooks.onStarted,
        startSettleMs: hooks.startSettleMs,
        onEnded: hooks.onEnded,
        leases: hooks.leases,
      }),
  };
}

/**
 * Everything Real-Time Transcription needs at run time: the task runtime (tasks/runtime.ts) on
 * the transcriptions' kind, plus what Speech-to-Text notices change.
 */
export function createTranscriptionRuntime(settings: TranscriptionSettings, deps: TranscriptionRuntimeDeps) {
  const runtime = createTaskRuntime(transcriptionKind(settings, deps), settings, deps);
  return {
    ...runtime,
    /**
     * An STT notice (docs/agora.md, "Webhooks"): never taken on its word; the transcription is
     * queried now. Why it failed (a 102 FAILED) is kept whenever it comes, even after the end.
     */
    async applyWebhook(agentId: string, failure?: StoredError) {
      let record = await deps.registry.transcriptions.findByAgentId(agentId);
      if (record && failure) record = await runtime.service.recordFailure(record, failure);
      if (record) await runtime.pollNow(record);
    },
  };
}

export type TranscriptionRuntime = ReturnType<typeof createTranscriptionRuntime>;
