/**
 * The emulator's vocabulary: what Agora's Cloud Recording keeps (resources, tasks) and what its
 * HTTP side exchanges (calls, replies). Every other module works on these.
 */

export type Mode = 'individual' | 'mix' | 'web';

/** The REST endpoints, named as Agora's reference names them. */
export const ENDPOINTS = [
  'acquire',
  'start',
  'query',
  'update',
  'updateLayout',
  'stop',
  'ncsIp',
  'sttJoin',
  'sttQuery',
  'sttUpdate',
  'sttLeave',
  'sttList',
  'convoJoin',
  'convoLeave',
  'convoUpdate',
  'convoQuery',
  'convoList',
  'convoSpeak',
  'convoInterrupt',
  'convoThink',
  'convoHistory',
  'convoTurns',
  'channelList',
  'channelUsers',
  'channelHosts',
  'channelUser',
  'banCreate',
  'banList',
  'banUpdate',
  'banDelete',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** Agora's service regions (acquire's `clientRequest.region`). */
export const REGIONS = ['CN', 'AP', 'EU', 'NA'] as const;
export type Region = (typeof REGIONS)[number];

export interface EmulatorTiming {
  /** Time between status steps 0→1→…→5 after start. 0 = straight to running. */
  statusStepMs: number;
  /** HLS segment length; playlists grow by one segment per period of publishing. */
  segmentMs: number;
  /** How long a stopped or exited task answers stop with code 49 before it is gone (404). */
  exitLingerMs: number;
  /** How long a resourceId can be started (Agora: 5 minutes). */
  resourceTtlMs: number;
  /** How long a Speech-to-Text or Conversational AI agent that has left still answers query and list (then 404). */
  agentRetentionMs: number;
}

export interface EmulatorLimits {
  /** Requests per second per App ID before 429 (Agora: 10). 0 turns the limit off. */
  requestsPerSecond: number;
  /** Concurrent recordings per App ID before 406 (Agora's default: 50). */
  maxConcurrentRecordings: number;
}

export const DEFAULT_TIMING: EmulatorTiming = {
  statusStepMs: 500,
  segmentMs: 10_000,
  exitLingerMs: 3_000,
  resourceTtlMs: 5 * 60_000,
  agentRetentionMs: 10 * 60_000,
};

export const DEFAULT_LIMITS: EmulatorLimits = { requestsPerSecond: 10, maxConcurrentRecordings: 50 };

export interface Reply {
  status: number;
  body: unknown;
}

export interface IncomingCall {
  method: string;
  /** Path without the query string. */
  path: string;
  authorization: string | undefined;
  /** The caller's User-Agent: kept in the request log (which instance of a cluster called). */
  userAgent?: string | undefined;
  body: string;
  /** The query string (Speech-to-Text's update and list, Conversational AI's list and turns read it). */
  search?: string;
}

export interface Resource {
  resourceId: string;
  cname: string;
  uid: string;
  scene: number;
  createdAt: number;
  started: boolean;
  /** Hours the sid stays callable after start (acquire's resourceExpiredHour, default 72). */
  expiredHour: number;
  /** The region serving it: the one asked for, or one the excluded resources do not use. */
  region: Region;
  /** Acquire's startParameter, checked against start's clientRequest. */
  startParameter: Record<string, unknown> | undefined;
}

export type EndReason = 'stopped' | 'idle' | 'max_recording_hour' | 'failed';

export interface TaskStorage {
  vendor: number;
  region: number;
  bucket: string;
  prefix: string[];
  /** Unix seconds; past it, uploads fall back to Agora's backup ("backuped"). */
  stsExpiration: number | undefined;
}

export interface Subscriptions {
  subscribeAudio: Set<string> | undefined;
  unsubscribeAudio: Set<string> | undefined;
  subscribeVideo: Set<string> | undefined;
  unsubscribeVideo: Set<string> | undefined;
}

export interface Task extends Subscriptions {
  sid: string;
  resourceId: string;
  cname: string;
  uid: string;
  mode: Mode;
  region: Region;
  startedAt: number;
  /** After this, session calls answer 404: resourceExpiredHour has passed. */
  callableUntil: number;
  avFileType: ('hls' | 'mp4')[];
  streamTypes: number;
  /** Publishers in the channel go idle-exit after this much quiet; web: undefined. */
  maxIdleMs: number | undefined;
  /** Web: the page recording stops at maxRecordingHour. */
  maxRecordingMs: number | undefined;
  /** Web with MP4: a new MP4 file starts after this long (maxVideoDuration). */
  mp4SliceMs: number | undefined;
  /** Individual: a JPEG per publisher every this often (snapshotConfig.captureInterval). */
  snapshotMs: number | undefined;
  idleSince: number | undefined;
  firstPublishAt: number | undefined;
  /** Every uid seen publishing while recording (individual mode records each). */
  publishersSeen: Set<string>;
  /** Screenshots only: no recordingFileConfig. */
  screenshotOnly: boolean;
  onhold: boolean;
  layout: unknown;
  storage: TaskStorage;
  endedAt: number | undefined;
  endReason: EndReason | undefined;
  /** Set once the first playlist was uploaded (status 5 reached with files). */
  wroteFirstFiles: boolean;
  /** Snapshot files announced so far. */
  snapshotsSent: number;
  /** Object names written to the bucket (media is copied once; playlists are rewritten). */
  uploaded: Set<string>;
  /** How many segments per playlist the bucket has: more are uploaded as the recording grows. */
  segmentsUploaded: number;
  /** The task's writes, one after another, so an older playlist never overwrites a newer one. */
  uploading: Promise<void>;
  /** Notification sequence within the task (payload.sequence). */
  sequence: number;
}

/** A task as the control API shows it: its identity and settings, and what they add up to now. */
export interface TaskView extends Pick<
  Task,
  'sid' | 'resourceId' | 'cname' | 'uid' | 'mode' | 'region' | 'endReason' | 'startedAt' | 'endedAt' | 'onhold' | 'layout'
> {
  status: number;
  active: boolean;
  files: string[];
  snapshots: string[];
  stsExpiration: number | undefined;
}

export interface RequestLogEntry {
  /** When the call came in. */
  at: number;
  /** When it was answered (later than `at` with latency set). */
  answeredAt: number;
  method: string;
  path: string;
  endpoint: Endpoint | 'unknown';
  status: number;
  code: number | undefined;
  /** The caller's User-Agent, when it sent one. */
  client?: string | undefined;
}

export interface Fault {
  endpoint: Endpoint;
  /** How many upcoming calls to the endpoint it answers. */
  times: number;
  status: number;
  body: unknown;
  /** Extra wait before answering, on the emulator's clock. */
  delayMs?: number;
}
