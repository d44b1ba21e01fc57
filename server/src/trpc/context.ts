import type { Logger } from '../logger.js';
import type { AgentService } from '../agents/index.js';
import type {
  AdminOverviewOutput,
  AgentStatusEvent,
  RecordingHistoryOutput,
  RecordingStatusEvent,
  TranscriptionHistoryOutput,
  TranscriptionStatusEvent,
} from '@agora-backend/shared';
import type { TranscriptionService } from '../transcription/index.js';
import type { ChannelService, Presence } from '../channels/index.js';
import type { Caller, RateLimiter } from '../auth/index.js';
import type { RecordingService } from '../recording/index.js';
import type { Viewer } from '../tasks/views.js';
import type { WatchOpener } from '../tasks/watch.js';
import type { TokenIssuer } from '../tokens/index.js';
import type { Metrics } from '../metrics/index.js';

/** What every procedure can reach. Built once per HTTP request or WebSocket connection. */
export interface Context {
  logger: Logger;
  services: Services;
  /** Who is calling, or why their credentials were refused (procedures turn that into UNAUTHORIZED). */
  auth: { caller: Caller } | { error: string };
  /** The peer's address, for per-IP limits. */
  ip: string;
  /** This server's origin as the caller reached it, e.g. `https://api.example.com` (file links). */
  origin: string;
  /** How the call came: over a WebSocket, or over HTTP (SSE for subscriptions). */
  transport: 'ws' | 'http';
  /** Per connection (one per WebSocket, one per HTTP request). */
  connection: { subscriptions: number };
  limits: { subscriptionsPerConnection: number };
  rateLimits: { tokens: RateLimits; starts: RateLimits };
}

export interface RateLimits {
  perCaller: RateLimiter;
  perIp: RateLimiter;
}

/** Long-lived services the routers call; created by createApp and shared by every request. */
export interface Services {
  tokens: TokenIssuer;
  metrics: Metrics;
  /** The recording service; throws when Cloud Recording is not configured for this app. */
  recordings(): RecordingService;
  /** Opens a recording's events for one watcher into `sink` (tasks/watch.ts); NOT_FOUND for an unknown recording. */
  watch(id: string, lastEventId: string | undefined, viewer: Viewer): WatchOpener<RecordingStatusEvent>;
  /** A recording's whole event log, oldest first; NOT_FOUND for an unknown recording. */
  recordingHistory(id: string, viewer: Viewer): Promise<RecordingHistoryOutput>;
  /** A transcription's whole event log, oldest first; NOT_FOUND for an unknown one. */
  transcriptionHistory(id: string, viewer: Viewer): Promise<TranscriptionHistoryOutput>;
  /** Counts by state, recent failures and upstream health (admin.overview). */
  overview(): Promise<AdminOverviewOutput>;
  /** The transcription service; throws when it is not configured (it comes with Cloud Recording). */
  transcriptions(): TranscriptionService;
  /** Who is in channels and moderation (channel.*); throws when there is no Agora client. */
  channels(): ChannelService;
  /** Presence from channel event notices (channel.watch, channel.sessions); throws without a registry or Agora client. */
  presence(): Presence;
  /** A transcription's events for one watcher; throws NOT_FOUND for an unknown one. */
  watchTranscription(id: string, lastEventId: string | undefined, viewer: Viewer): WatchOpener<TranscriptionStatusEvent>;
  /** The Conversational AI agent service; throws when it is not configured (it comes with Cloud Recording). */
  agents(): AgentService;
  /** An agent's events (state changes and new messages) for one watcher; throws NOT_FOUND for an unknown one. */
  watchAgent(id: string, lastEventId: string | undefined, viewer: Viewer): WatchOpener<AgentStatusEvent>;
}
