import type { CloudRecordingEndpoint } from '@agora-backend/shared';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { planFiles, writeObjects, type PlannedFile } from './files.js';
import { checkRecorderToken } from './token-check.js';
import {
  IndividualStart,
  isValidChannelName,
  LayoutRule,
  MixStart,
  reasonFor,
  RecorderUid,
  WebStart,
} from './validation.js';
import type { z } from 'zod';

/**
 * The emulator's model of Agora Cloud Recording, independent of HTTP: resources, tasks, channel
 * presence, faults and a request log. Time comes from the injected clock and state is brought up
 * to date lazily on every call, so a fake clock drives it deterministically.
 */

export type Mode = 'individual' | 'mix' | 'web';
export type Endpoint = CloudRecordingEndpoint;

export interface EmulatorTiming {
  /** Time between status steps 0→1→…→5 after start. 0 = straight to running. */
  statusStepMs: number;
  /** HLS segment length; playlists grow by one segment per period of publishing. */
  segmentMs: number;
  /** How long a stopped or exited task answers stop with code 49 before it is gone (404). */
  exitLingerMs: number;
  /** How long a resourceId can be started (Agora: 5 minutes). */
  resourceTtlMs: number;
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
};

export const DEFAULT_LIMITS: EmulatorLimits = { requestsPerSecond: 10, maxConcurrentRecordings: 50 };

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Resource {
  resourceId: string;
  cname: string;
  uid: string;
  scene: number;
  createdAt: number;
  started: boolean;
}

interface Task {
  sid: string;
  resourceId: string;
  cname: string;
  uid: string;
  mode: Mode;
  startedAt: number;
  avFileType: ('hls' | 'mp4')[];
  streamTypes: number;
  /** Publishers in the channel go idle-exit after this much quiet; web: undefined. */
  maxIdleMs: number | undefined;
  /** Web: the page recording stops at maxRecordingHour. */
  maxRecordingMs: number | undefined;
  idleSince: number | undefined;
  firstPublishAt: number | undefined;
  /** Every uid seen publishing while recording (individual mode records each). */
  publishersSeen: Set<string>;
  subscribeAudio: Set<string> | undefined;
  unsubscribeAudio: Set<string> | undefined;
  subscribeVideo: Set<string> | undefined;
  unsubscribeVideo: Set<string> | undefined;
  screenshotOnly: boolean;
  onhold: boolean;
  layout: unknown;
  storage: { bucket: string; prefix: string[] };
  endedAt: number | undefined;
  endReason: 'stopped' | 'idle' | 'max_recording_hour' | undefined;
  wroteFirstFiles: boolean;
}

export interface RequestLogEntry {
  at: number;
  method: string;
  path: string;
  endpoint: Endpoint | 'unknown';
  status: number;
  code: number | undefined;
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

export interface TaskView {
  sid: string;
  resourceId: string;
  cname: string;
  uid: string;
  mode: Mode;
  status: number;
  active: boolean;
  endReason: Task['endReason'];
  startedAt: number;
  endedAt: number | undefined;
  files: string[];
  onhold: boolean;
  layout: unknown;
}

export interface EmulatorCoreOptions {
  appId: string;
  appCertificate: string;
  customerId: string;
  customerSecret: string;
  clock: Clock;
  /** The local stand-in for storage buckets. */
  storageDir: string;
  timing?: Partial<EmulatorTiming>;
  limits?: Partial<EmulatorLimits>;
}

export interface IncomingCall {
  method: string;
  /** Path without the query string. */
  path: string;
  authorization: string | undefined;
  body: string;
}

const ROUTES: { endpoint: Endpoint; method: string; pattern: RegExp }[] = [
  { endpoint: 'acquire', method: 'POST', pattern: /^\/v1\/apps\/([^/]+)\/cloud_recording\/acquire$/ },
  { endpoint: 'start', method: 'POST', pattern: /^\/v1\/apps\/([^/]+)\/cloud_recording\/resourceid\/([^/]+)\/mode\/(individual|mix|web)\/start$/ },
  { endpoint: 'query', method: 'GET', pattern: /^\/v1\/apps\/([^/]+)\/cloud_recording\/resourceid\/([^/]+)\/sid\/([^/]+)\/mode\/(individual|mix|web)\/query$/ },
  { endpoint: 'update', method: 'POST', pattern: /^\/v1\/apps\/([^/]+)\/cloud_recording\/resourceid\/([^/]+)\/sid\/([^/]+)\/mode\/(individual|mix|web)\/update$/ },
  { endpoint: 'updateLayout', method: 'POST', pattern: /^\/v1\/apps\/([^/]+)\/cloud_recording\/resourceid\/([^/]+)\/sid\/([^/]+)\/mode\/(mix)\/updateLayout$/ },
  { endpoint: 'stop', method: 'POST', pattern: /^\/v1\/apps\/([^/]+)\/cloud_recording\/resourceid\/([^/]+)\/sid\/([^/]+)\/mode\/(individual|mix|web)\/stop$/ },
];

const gateway = (status: number, message: string): Reply => ({ status, body: { message } });
const service = (status: number, code: number, reason: string): Reply => ({ status, body: { code, reason } });
const invalid = (reason: string) => service(400, 2, reason);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A small deterministic generator (mulberry32): the same seed, the same faults. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function createEmulatorCore(options: EmulatorCoreOptions) {
  const { clock } = options;
  const timing: EmulatorTiming = { ...DEFAULT_TIMING, ...options.timing };
  const limits: EmulatorLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const expectedAuth = `Basic ${Buffer.from(`${options.customerId}:${options.customerSecret}`).toString('base64')}`;

  const resources = new Map<string, Resource>();
  const tasks = new Map<string, Task>();
  /** Channel → uids publishing in it now. */
  const publishers = new Map<string, Set<string>>();
  const faults: Fault[] = [];
  let failoverUntil = 0;
  let latencyMs = 0;
  /** Share of calls answered with a transient failure, and the generator that picks them. */
  let chaos = { share: 0, random: Math.random };
  const requestLog: RequestLogEntry[] = [];
  const recentRequests: number[] = [];

  // ---- time-driven state -------------------------------------------------------------------

  const isActive = (task: Task) => task.endedAt === undefined;

  /** Brings a task up to `now`: idle exit, web max duration, first files. */
  function refresh(task: Task, now = clock.now()) {
    if (!isActive(task)) return;
    if (task.maxIdleMs !== undefined && task.idleSince !== undefined && now - task.idleSince >= task.maxIdleMs) {
      end(task, task.idleSince + task.maxIdleMs, 'idle');
      return;
    }
    if (task.maxRecordingMs !== undefined && now - task.startedAt >= task.maxRecordingMs) {
      end(task, task.startedAt + task.maxRecordingMs, 'max_recording_hour');
      return;
    }
    if (!task.wroteFirstFiles && statusOf(task, now) === 5) {
      task.wroteFirstFiles = true;
      void persist(task, now);
    }
  }

  function end(task: Task, at: number, reason: NonNullable<Task['endReason']>) {
    task.endedAt = at;
    task.endReason = reason;
    void persist(task, at);
  }

  function statusOf(task: Task, now: number): number {
    if (!isActive(task)) return task.endReason === 'stopped' ? 7 : 8;
    const steps = timing.statusStepMs === 0 ? 5 : Math.floor((now - task.startedAt) / timing.statusStepMs);
    // 5 means "first file uploaded": there is nothing to upload until someone publishes.
    return Math.min(steps, task.firstPublishAt === undefined && task.mode !== 'web' ? 4 : 5);
  }

  function recordsUid(task: Task, uid: string, track: 'audio' | 'video'): boolean {
    const allow = track === 'audio' ? task.subscribeAudio : task.subscribeVideo;
    const block = track === 'audio' ? task.unsubscribeAudio : task.unsubscribeVideo;
    if (allow && !allow.has('#allstream#') && !allow.has(uid)) return false;
    if (block?.has(uid)) return false;
    if (track === 'audio' && task.streamTypes === 1) return false;
    if (track === 'video' && task.streamTypes === 0) return false;
    return true;
  }

  function filesOf(task: Task, now: number): PlannedFile[] {
    if (task.screenshotOnly || statusOf(task, Math.min(now, task.endedAt ?? now)) < 5) return [];
    const sliceStart = task.mode === 'web' ? task.startedAt : (task.firstPublishAt ?? task.startedAt);
    const until = task.endedAt ?? now;
    const tracks: { uid: string; track: 'audio' | 'video' }[] = [];
    for (const uid of task.publishersSeen) {
      for (const track of ['audio', 'video'] as const) if (recordsUid(task, uid, track)) tracks.push({ uid, track });
    }
    return planFiles({
      mode: task.mode,
      sid: task.sid,
      cname: task.cname,
      avFileType: task.avFileType,
      tracks,
      sliceStartTime: sliceStart,
      segmentCount: Math.max(1, Math.ceil((until - sliceStart) / timing.segmentMs)),
      segmentMs: timing.segmentMs,
    });
  }

  const pendingWrites = new Set<Promise<unknown>>();
  function persist(task: Task, now: number) {
    const files = filesOf(task, now);
    if (files.length === 0) return Promise.resolve();
    const write = writeObjects(options.storageDir, task.storage.bucket, task.storage.prefix, files, timing.segmentMs).catch(() => []);
    pendingWrites.add(write);
    void write.finally(() => pendingWrites.delete(write));
    return write;
  }

  function refreshAll(now = clock.now()) {
    for (const task of tasks.values()) refresh(task, now);
  }

  /** A publisher changed in `cname`: restart or stop the idle countdown of its recordings. */
  function onPresenceChange(cname: string) {
    const now = clock.now();
    const present = publishers.get(cname) ?? new Set<string>();
    for (const task of tasks.values()) {
      if (task.cname !== cname) continue;
      refresh(task, now);
      if (!isActive(task)) continue;
      if (present.size > 0) {
        task.idleSince = undefined;
        task.firstPublishAt ??= now;
        for (const uid of present) task.publishersSeen.add(uid);
      } else {
        task.idleSince ??= now;
      }
    }
  }

  // ---- endpoints ---------------------------------------------------------------------------

  function parseBody(text: string): Record<string, unknown> | undefined {
    if (text.trim() === '') return {};
    try {
      const value: unknown = JSON.parse(text);
      return isRecord(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  function activeCount() {
    let count = 0;
    for (const task of tasks.values()) if (isActive(task)) count++;
    return count;
  }

  function acquire(body: Record<string, unknown>): Reply {
    const { cname, uid } = body;
    const clientRequest = body.clientRequest ?? {};
    if (!isRecord(clientRequest)) return invalid('invalid parameter: clientRequest must be an object');
    const scene = clientRequest.scene ?? 0;
    if (scene !== 0 && scene !== 1 && scene !== 2) return invalid('invalid parameter: clientRequest.scene must be 0, 1 or 2');
    if (typeof cname !== 'string' || cname === '') return invalid('invalid parameter: cname must be a non-empty string');
    // Web mode's cname is only a label; individual/mix use the RTC channel rules.
    if (scene === 1 ? Buffer.byteLength(cname) > 1024 : !isValidChannelName(cname)) {
      return service(400, 401, 'invalid_channel_name');
    }
    const uidCheck = RecorderUid.safeParse(uid);
    if (!uidCheck.success) return invalid(`invalid parameter: ${uidCheck.error.issues[0]?.message ?? 'uid'}`);
    const hours = clientRequest.resourceExpiredHour;
    if (hours !== undefined && (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 1 || hours > 720)) {
      return invalid('Acquire: invalid resourceExpiredHour value!');
    }
    if (activeCount() >= limits.maxConcurrentRecordings) return service(400, 406, 'vendor_over_load');
    const resourceId = randomBytes(96).toString('base64url');
    resources.set(resourceId, { resourceId, cname, uid: uidCheck.data, scene, createdAt: clock.now(), started: false });
    return { status: 200, body: { cname, uid: uidCheck.data, resourceId } };
  }

  function start(resourceId: string, mode: Mode, body: Record<string, unknown>): Reply {
    const resource = resources.get(resourceId);
    if (!resource) return service(400, 1001, 'resourceId unparsable');
    const now = clock.now();
    if (now - resource.createdAt > timing.resourceTtlMs) return service(400, 433, 'resource expired');
    if (body.cname !== resource.cname || body.uid !== resource.uid) return service(400, 432, 'cname or uid does not match the resourceId');
    // docs/agora.md, "Unconfirmed": whether the 201 body carries the sid is unconfirmed; we send none.
    if (resource.started) return service(201, 7, 'already started');
    if ((mode === 'web') !== (resource.scene === 1)) {
      return invalid(`invalid parameter: ${mode} mode needs a resource acquired with scene ${mode === 'web' ? 1 : 0}`);
    }
    const clientRequest = body.clientRequest;
    if (!isRecord(clientRequest)) return invalid('invalid parameter: clientRequest must be an object');

    let task: Task;
    const base = {
      sid: randomBytes(16).toString('hex'),
      resourceId,
      cname: resource.cname,
      uid: resource.uid,
      mode,
      startedAt: now,
      idleSince: undefined,
      firstPublishAt: undefined,
      publishersSeen: new Set<string>(),
      endedAt: undefined,
      endReason: undefined,
      onhold: false,
      layout: undefined,
      wroteFirstFiles: false,
    };
    const lists = (config: { subscribeAudioUids?: string[] | undefined; unSubscribeAudioUids?: string[] | undefined; subscribeVideoUids?: string[] | undefined; unSubscribeVideoUids?: string[] | undefined }) => ({
      subscribeAudio: config.subscribeAudioUids && new Set(config.subscribeAudioUids),
      unsubscribeAudio: config.unSubscribeAudioUids && new Set(config.unSubscribeAudioUids),
      subscribeVideo: config.subscribeVideoUids && new Set(config.subscribeVideoUids),
      unsubscribeVideo: config.unSubscribeVideoUids && new Set(config.unSubscribeVideoUids),
    });
    const storageOf = (storage: { bucket: string; fileNamePrefix?: string[] | undefined }) => ({
      bucket: storage.bucket,
      prefix: storage.fileNamePrefix ?? [],
    });

    if (mode === 'web') {
      const parsed = WebStart.safeParse(clientRequest);
      if (!parsed.success) return invalid(reasonFor(parsed.error));
      const web = parsed.data.extensionServiceConfig.extensionServices.find((s) => s.serviceName === 'web_recorder_service');
      const param = web?.serviceName === 'web_recorder_service' ? web.serviceParam : undefined;
      task = {
        ...base,
        avFileType: parsed.data.recordingFileConfig?.avFileType ?? ['hls'],
        streamTypes: 2,
        maxIdleMs: undefined,
        maxRecordingMs: (param?.maxRecordingHour ?? 1) * 3_600_000,
        subscribeAudio: undefined,
        unsubscribeAudio: undefined,
        subscribeVideo: undefined,
        unsubscribeVideo: undefined,
        screenshotOnly: false,
        onhold: param?.onhold ?? false,
        storage: storageOf(parsed.data.storageConfig),
      };
    } else {
      const parsed: z.ZodSafeParseResult<IndividualStart | MixStart> =
        mode === 'individual' ? IndividualStart.safeParse(clientRequest) : MixStart.safeParse(clientRequest);
      if (!parsed.success) return invalid(reasonFor(parsed.error));
      const request = parsed.data;
      const verdict = checkRecorderToken({
        token: request.token,
        appId: options.appId,
        appCertificate: options.appCertificate,
        cname: resource.cname,
        uid: resource.uid,
        nowMs: now,
      });
      if (!verdict.ok) return service(400, verdict.code, verdict.reason);
      task = {
        ...base,
        avFileType: request.recordingFileConfig?.avFileType ?? ['hls'],
        streamTypes: request.recordingConfig.streamTypes,
        maxIdleMs: request.recordingConfig.maxIdleTime * 1000,
        maxRecordingMs: undefined,
        ...lists(request.recordingConfig),
        screenshotOnly: mode === 'individual' && !request.recordingFileConfig,
        layout: 'transcodingConfig' in request.recordingConfig ? request.recordingConfig.transcodingConfig : undefined,
        storage: storageOf(request.storageConfig),
      };
    }

    refreshAll(now);
    for (const other of tasks.values()) {
      if (isActive(other) && other.cname === task.cname && other.uid === task.uid) return service(400, 53, 'task conflict');
    }
    if (activeCount() >= limits.maxConcurrentRecordings) return service(400, 406, 'vendor_over_load');

    resource.started = true;
    tasks.set(task.sid, task);
    const present = publishers.get(task.cname);
    if (task.mode !== 'web') {
      if (present && present.size > 0) {
        task.firstPublishAt = now;
        for (const uid of present) task.publishersSeen.add(uid);
      } else {
        task.idleSince = now;
      }
    }
    return { status: 200, body: { cname: task.cname, uid: task.uid, resourceId, sid: task.sid } };
  }

  /** Finds the task a session call names, or Agora's answer for why there is none. */
  function session(resourceId: string, sid: string, mode: Mode, body: Record<string, unknown> | undefined, endpoint: Endpoint): Task | Reply {
    const task = tasks.get(sid);
    if (!task) return service(404, 404, 'failed to find worker');
    if (task.resourceId !== resourceId) return service(400, 1003, 'sid does not belong to this resourceId');
    refresh(task);
    const now = clock.now();
    if (!isActive(task)) {
      // docs/agora.md, "Stop answers and file names": a task on its way out answers stop with 49; once gone, 404.
      if (endpoint === 'stop' && now - task.endedAt! < timing.exitLingerMs) return service(400, 49, 'invalid operation');
      return service(404, 404, 'failed to find worker');
    }
    if (now < failoverUntil && (endpoint === 'query' || endpoint === 'stop')) return service(404, 404, 'failed to find worker');
    if (task.mode !== mode) return invalid(`invalid parameter: the recording runs in ${task.mode} mode`);
    if (body && (body.cname !== task.cname || body.uid !== task.uid)) return service(400, 432, 'cname or uid does not match the recording');
    return task;
  }

  function fileEntries(task: Task, now: number) {
    return filesOf(task, now).map((file) => ({
      fileName: file.fileName,
      trackType: file.trackType,
      uid: file.uid,
      mixedAllUser: file.mixedAllUser,
      isPlayable: true,
      sliceStartTime: file.sliceStartTime,
    }));
  }

  function webState(task: Task, now: number, state: 'init' | 'inProgress' | 'exit') {
    return {
      serviceName: 'web_recorder_service',
      payload: {
        fileList: filesOf(task, now).map((file) => ({ filename: file.fileName, sliceStartTime: file.sliceStartTime })),
        onhold: task.onhold,
        state,
      },
    };
  }

  function serverResponse(task: Task, now: number) {
    const status = statusOf(task, now);
    if (task.mode === 'web') {
      return { status, extensionServiceState: [webState(task, now, status >= 4 ? 'inProgress' : 'init')] };
    }
    const sliceStartTime = task.firstPublishAt;
    if (task.screenshotOnly) return { status, ...(sliceStartTime ? { sliceStartTime } : {}) };
    // docs/agora.md, "Query answers and status": "string" for mix with HLS only (the playlist name), "json" otherwise.
    if (task.mode === 'mix' && !task.avFileType.includes('mp4')) {
      const files = fileEntries(task, now);
      return { status, fileListMode: 'string', fileList: files[0]?.fileName ?? '', ...(sliceStartTime ? { sliceStartTime } : {}) };
    }
    return { status, fileListMode: 'json', fileList: fileEntries(task, now), ...(sliceStartTime ? { sliceStartTime } : {}) };
  }

  function query(task: Task): Reply {
    const now = clock.now();
    return {
      status: 200,
      body: { cname: task.cname, uid: task.uid, resourceId: task.resourceId, sid: task.sid, serverResponse: serverResponse(task, now) },
    };
  }

  async function stop(task: Task): Promise<Reply> {
    const now = clock.now();
    const neverPublished = task.mode !== 'web' && task.firstPublishAt === undefined;
    end(task, now, 'stopped');
    await Promise.all([...pendingWrites]);
    const identity = { cname: task.cname, uid: task.uid, resourceId: task.resourceId, sid: task.sid };
    // docs/agora.md, "Errors and retries": 206 + 435 when nobody published, so there is nothing to upload.
    if (neverPublished) return service(206, 435, 'no recorded data');
    if (task.mode === 'web') {
      return {
        status: 200,
        body: {
          ...identity,
          serverResponse: {
            extensionServiceState: [
              { serviceName: 'upload_service', payload: { uploadingStatus: 'uploaded' } },
              webState(task, now, 'exit'),
            ],
          },
        },
      };
    }
    if (task.screenshotOnly) return { status: 200, body: { ...identity, serverResponse: { uploadingStatus: 'uploaded' } } };
    const response = serverResponse(task, now);
    const { status: _status, ...rest } = response;
    return { status: 200, body: { ...identity, serverResponse: { ...rest, uploadingStatus: 'uploaded' } } };
  }

  function update(task: Task, clientRequest: unknown): Reply {
    if (!isRecord(clientRequest)) return invalid('invalid parameter: clientRequest must be an object');
    const subscribe = clientRequest.streamSubscribe;
    if (subscribe !== undefined) {
      if (task.mode === 'web') return invalid('invalid parameter: streamSubscribe is not for web mode');
      if (!isRecord(subscribe)) return invalid('invalid parameter: streamSubscribe must be an object');
      const readList = (holder: unknown, key: string): Set<string> | undefined | 'invalid' => {
        if (!isRecord(holder) || holder[key] === undefined) return undefined;
        const list = holder[key];
        if (!Array.isArray(list) || list.length > 32 || !list.every((uid) => typeof uid === 'string')) return 'invalid';
        return new Set(list);
      };
      const audio = subscribe.audioUidList;
      const video = subscribe.videoUidList;
      const next = {
        subscribeAudio: readList(audio, 'subscribeAudioUids'),
        unsubscribeAudio: readList(audio, 'unSubscribeAudioUids'),
        subscribeVideo: readList(video, 'subscribeVideoUids'),
        unsubscribeVideo: readList(video, 'unSubscribeVideoUids'),
      };
      for (const [key, value] of Object.entries(next)) {
        if (value === 'invalid') return invalid(`invalid parameter: streamSubscribe ${key} must be at most 32 uid strings`);
      }
      if (audio !== undefined) {
        task.subscribeAudio = next.subscribeAudio as Set<string> | undefined;
        task.unsubscribeAudio = next.unsubscribeAudio as Set<string> | undefined;
      }
      if (video !== undefined) {
        task.subscribeVideo = next.subscribeVideo as Set<string> | undefined;
        task.unsubscribeVideo = next.unsubscribeVideo as Set<string> | undefined;
      }
    }
    const web = clientRequest.webRecordingConfig;
    if (web !== undefined) {
      if (task.mode !== 'web') return invalid('invalid parameter: webRecordingConfig is only for web mode');
      if (!isRecord(web) || typeof web.onhold !== 'boolean') return invalid('invalid parameter: webRecordingConfig.onhold must be a boolean');
      task.onhold = web.onhold;
    }
    return { status: 200, body: { cname: task.cname, uid: task.uid, resourceId: task.resourceId, sid: task.sid } };
  }

  function updateLayout(task: Task, clientRequest: unknown): Reply {
    const parsed = LayoutRule.safeParse(clientRequest ?? {});
    if (!parsed.success) return invalid(reasonFor(parsed.error));
    // docs/agora.md, "Endpoints": each call replaces the whole layout; omitted fields go back to defaults.
    task.layout = { mixedVideoLayout: 0, backgroundColor: '#000000', ...parsed.data };
    return { status: 200, body: { cname: task.cname, uid: task.uid, resourceId: task.resourceId, sid: task.sid } };
  }

  function overRateLimit(now: number): boolean {
    if (limits.requestsPerSecond <= 0) return false;
    while (recentRequests.length > 0 && now - recentRequests[0]! >= 1_000) recentRequests.shift();
    if (recentRequests.length >= limits.requestsPerSecond) return true;
    recentRequests.push(now);
    return false;
  }

  /** What Agora answers when it fails on its side (docs/agora.md, "Errors and retries"); nothing happens. */
  function transientFailure(endpoint: Endpoint): Reply {
    if (endpoint === 'acquire') return service(500, 500, 'internal_error');
    if (endpoint === 'start') return service(500, 502, 'Failed to allocate worker');
    return service(504, 62, 'request timeout');
  }

  async function dispatch(call: IncomingCall): Promise<{ reply: Reply; endpoint: Endpoint | 'unknown' }> {
    const route = ROUTES.map((candidate) => ({ candidate, match: candidate.pattern.exec(call.path) })).find(
      ({ candidate, match }) => match && candidate.method === call.method,
    );
    if (!route?.match) return { reply: gateway(404, 'no Route matched with those values'), endpoint: 'unknown' };
    const endpoint = route.candidate.endpoint;
    const [, appId, resourceId, third, fourth] = route.match;
    if (call.authorization === undefined) return { reply: gateway(401, 'Unauthorized'), endpoint };
    if (call.authorization !== expectedAuth) return { reply: gateway(401, 'Invalid authentication credentials'), endpoint };
    if (appId !== options.appId) return { reply: gateway(400, 'appid is invalid'), endpoint };
    const now = clock.now();
    if (overRateLimit(now)) return { reply: gateway(429, 'API rate limit exceeded'), endpoint };

    if (chaos.share > 0 && chaos.random() < chaos.share) return { reply: transientFailure(endpoint), endpoint };
    const fault = faults.find((candidate) => candidate.endpoint === endpoint && candidate.times > 0);
    if (fault) {
      fault.times--;
      if (fault.delayMs) await clock.sleep(fault.delayMs);
      return { reply: { status: fault.status, body: fault.body }, endpoint };
    }

    const body = endpoint === 'query' ? {} : parseBody(call.body);
    if (!body) return { reply: service(400, 8, 'invalid JSON body'), endpoint };
    refreshAll(now);

    switch (endpoint) {
      case 'acquire':
        return { reply: acquire(body), endpoint };
      case 'start':
        return { reply: start(resourceId!, third as Mode, body), endpoint };
      default: {
        const found = session(resourceId!, third!, fourth as Mode, endpoint === 'query' ? undefined : body, endpoint);
        if (!('sid' in found)) return { reply: found, endpoint };
        if (endpoint === 'query') return { reply: query(found), endpoint };
        if (endpoint === 'stop') return { reply: await stop(found), endpoint };
        if (endpoint === 'update') return { reply: update(found, body.clientRequest), endpoint };
        return { reply: updateLayout(found, body.clientRequest), endpoint };
      }
    }
  }

  function view(task: Task): TaskView {
    const now = clock.now();
    refresh(task, now);
    return {
      sid: task.sid,
      resourceId: task.resourceId,
      cname: task.cname,
      uid: task.uid,
      mode: task.mode,
      status: statusOf(task, now),
      active: isActive(task),
      endReason: task.endReason,
      startedAt: task.startedAt,
      endedAt: task.endedAt,
      files: filesOf(task, now).map((file) => file.fileName),
      onhold: task.onhold,
      layout: task.layout,
    };
  }

  return {
    /** Answers one REST call as Agora would, and logs it. */
    async handle(call: IncomingCall): Promise<Reply> {
      const { reply, endpoint } = await dispatch(call);
      if (latencyMs > 0) await clock.sleep(latencyMs);
      const code = isRecord(reply.body) && typeof reply.body.code === 'number' ? reply.body.code : undefined;
      requestLog.push({ at: clock.now(), method: call.method, path: call.path, endpoint, status: reply.status, code });
      return reply;
    },
    /** Makes `uid` a publisher in `cname` (drives idle exit and individual files). */
    join(cname: string, uid: string) {
      const set = publishers.get(cname) ?? new Set<string>();
      set.add(uid);
      publishers.set(cname, set);
      onPresenceChange(cname);
    },
    leave(cname: string, uid: string) {
      publishers.get(cname)?.delete(uid);
      onPresenceChange(cname);
    },
    publishersIn: (cname: string) => [...(publishers.get(cname) ?? [])],
    /** The next `times` calls to `endpoint` answer with this status and body. */
    injectFault(fault: Fault) {
      faults.push({ ...fault });
    },
    clearFaults() {
      faults.length = 0;
    },
    /**
     * From now on, a `share` (0–1) of REST calls fail as Agora's transient errors do (500/502 on
     * acquire and start, 504 code 62 otherwise), with no effect. `seed` makes the choice repeatable.
     */
    setChaos(share: number, seed?: number) {
      chaos = { share, random: seed === undefined ? Math.random : seededRandom(seed) };
    },
    /** For `durationMs` from now, query and stop answer 404 as during Agora's failover. */
    failover(durationMs: number) {
      failoverUntil = clock.now() + durationMs;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    tasks(): TaskView[] {
      return [...tasks.values()].map(view);
    },
    task(sid: string): TaskView | undefined {
      const task = tasks.get(sid);
      return task && view(task);
    },
    requests(): RequestLogEntry[] {
      return [...requestLog];
    },
    /** Calls per endpoint, e.g. to check that watchers share one poller. */
    requestCounts(): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const entry of requestLog) counts[entry.endpoint] = (counts[entry.endpoint] ?? 0) + 1;
      return counts;
    },
    clearRequests() {
      requestLog.length = 0;
    },
    /** Resolves once every file write started so far has finished. */
    async flushStorage() {
      refreshAll();
      await Promise.all([...pendingWrites]);
    },
    timing,
    limits,
  };
}

export type EmulatorCore = ReturnType<typeof createEmulatorCore>;
