import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { announceStart, refreshAll } from './lifecycle.js';
import { invalid, isRecord, service } from './replies.js';
import { checkRecorderToken } from './token-check.js';
import type { Mode, Reply, Resource, Task, TaskStorage } from './types.js';
import { blockedAudio, blockedVideo, IndividualStart, MixStart, reasonFor, WebStart, type SubscriptionLists } from './validation.js';
import { activeCount, isActive, type World } from './world.js';

/** `POST …/resourceid/{resourceId}/mode/{mode}/start`: checks the request as Agora does and starts a task. */
export function start(world: World, resourceId: string, mode: Mode, body: Record<string, unknown>): Reply {
  const resource = world.resources.get(resourceId);
  if (!resource) return service(400, 1001, 'resourceId unparsable');
  const now = world.clock.now();
  if (now - resource.createdAt > world.timing.resourceTtlMs) return service(400, 433, 'resource expired');
  if (body.cname !== resource.cname || body.uid !== resource.uid) return service(400, 432, 'cname or uid does not match the resourceId');
  // README, "Deviations": whether the 201 body carries the sid is unconfirmed; we send none.
  if (resource.started) return service(201, 7, 'already started');
  if ((mode === 'web') !== (resource.scene === 1)) {
    return invalid(`invalid parameter: ${mode} mode needs a resource acquired with scene ${mode === 'web' ? 1 : 0}`);
  }
  const clientRequest = body.clientRequest;
  if (!isRecord(clientRequest)) return invalid('invalid parameter: clientRequest must be an object');
  const mismatch = startParameterMismatch(mode, resource, clientRequest);
  if (mismatch) return mismatch;
  const task = mode === 'web' ? webTask(world, resource, clientRequest) : mediaTask(world, resource, mode, clientRequest);
  if (!('sid' in task)) return task;

  refreshAll(world, now);
  for (const other of world.tasks.values()) {
    if (isActive(other) && other.cname === task.cname && other.uid === task.uid) return service(400, 53, 'task conflict');
  }
  if (activeCount(world) >= world.limits.maxConcurrentRecordings) return service(400, 406, 'vendor_over_load');
  resource.started = true;
  world.tasks.set(task.sid, task);
  seePublishers(world, task, now);
  announceStart(world, task);
  return { status: 200, body: { cname: task.cname, uid: task.uid, resourceId, sid: task.sid } };
}

/** acquire's startParameter must itself be valid and agree with start's clientRequest, block by block. */
function startParameterMismatch(mode: Mode, resource: Resource, clientRequest: Record<string, unknown>): Reply | undefined {
  const parameter = resource.startParameter;
  if (!parameter) return undefined;
  const schema = mode === 'web' ? WebStart : mode === 'mix' ? MixStart : IndividualStart;
  const parsed = schema.safeParse(parameter);
  if (!parsed.success) return invalid(reasonFor(parsed.error, 'startParameter'));
  for (const [key, value] of Object.entries(parameter)) {
    if (!isDeepStrictEqual(value, clientRequest[key])) {
      return invalid(`invalid parameter: clientRequest.${key} does not match the startParameter of acquire`);
    }
  }
  return undefined;
}

function seePublishers(world: World, task: Task, now: number) {
  if (task.mode === 'web') return;
  const present = world.publishers.get(task.cname);
  if (present && present.size > 0) {
    task.firstPublishAt = now;
    for (const uid of present) task.publishersSeen.add(uid);
  } else {
    task.idleSince = now;
  }
}

function baseTask(world: World, resource: Resource, mode: Mode) {
  const now = world.clock.now();
  return {
    sid: randomBytes(16).toString('hex'),
    resourceId: resource.resourceId,
    cname: resource.cname,
    uid: resource.uid,
    mode,
    region: resource.region,
    startedAt: now,
    callableUntil: now + resource.expiredHour * 3_600_000,
    idleSince: undefined,
    firstPublishAt: undefined,
    publishersSeen: new Set<string>(),
    endedAt: undefined,
    endReason: undefined,
    layout: undefined,
    wroteFirstFiles: false,
    snapshotsSent: 0,
    uploaded: new Set<string>(),
    segmentsUploaded: 0,
    uploading: Promise.resolve(),
    sequence: 0,
  };
}

function storageOf(storage: {
  vendor: number;
  region: number;
  bucket: string;
  fileNamePrefix?: string[] | undefined;
  stsExpiration?: number | undefined;
}): TaskStorage {
  return {
    vendor: storage.vendor,
    region: storage.region,
    bucket: storage.bucket,
    prefix: storage.fileNamePrefix ?? [],
    stsExpiration: storage.stsExpiration,
  };
}

const asSet = (list: string[] | undefined) => list && new Set(list);

export function subscriptionsOf(lists: SubscriptionLists) {
  return {
    subscribeAudio: asSet(lists.subscribeAudioUids),
    unsubscribeAudio: asSet(blockedAudio(lists)),
    subscribeVideo: asSet(lists.subscribeVideoUids),
    unsubscribeVideo: asSet(blockedVideo(lists)),
  };
}

function webTask(world: World, resource: Resource, clientRequest: Record<string, unknown>): Task | Reply {
  const parsed = WebStart.safeParse(clientRequest);
  if (!parsed.success) return invalid(reasonFor(parsed.error));
  const web = parsed.data.extensionServiceConfig.extensionServices.find((s) => s.serviceName === 'web_recorder_service');
  const param = web?.serviceName === 'web_recorder_service' ? web.serviceParam : undefined;
  const avFileType = parsed.data.recordingFileConfig?.avFileType ?? ['hls'];
  return {
    ...baseTask(world, resource, 'web'),
    avFileType,
    streamTypes: 2,
    maxIdleMs: undefined,
    maxRecordingMs: (param?.maxRecordingHour ?? 1) * 3_600_000,
    mp4SliceMs: avFileType.includes('mp4') ? (param?.maxVideoDuration ?? 120) * 60_000 : undefined,
    snapshotMs: undefined,
    ...subscriptionsOf({}),
    screenshotOnly: false,
    onhold: param?.onhold ?? false,
    storage: storageOf(parsed.data.storageConfig),
  };
}

function mediaTask(world: World, resource: Resource, mode: 'individual' | 'mix', clientRequest: Record<string, unknown>): Task | Reply {
  const parsed: z.ZodSafeParseResult<IndividualStart | MixStart> =
    mode === 'individual' ? IndividualStart.safeParse(clientRequest) : MixStart.safeParse(clientRequest);
  if (!parsed.success) return invalid(reasonFor(parsed.error));
  const request = parsed.data;
  const verdict = checkRecorderToken({
    token: request.token,
    appId: world.appId,
    appCertificate: world.appCertificate,
    cname: resource.cname,
    uid: resource.uid,
    nowMs: world.clock.now(),
  });
  if (!verdict.ok) return service(400, verdict.code, verdict.reason);
  const snapshot = 'snapshotConfig' in request ? request.snapshotConfig : undefined;
  return {
    ...baseTask(world, resource, mode),
    avFileType: request.recordingFileConfig?.avFileType ?? ['hls'],
    streamTypes: request.recordingConfig.streamTypes,
    maxIdleMs: request.recordingConfig.maxIdleTime * 1000,
    maxRecordingMs: undefined,
    mp4SliceMs: undefined,
    snapshotMs: snapshot ? snapshot.captureInterval * 1000 : undefined,
    ...subscriptionsOf(request.recordingConfig),
    screenshotOnly: mode === 'individual' && !request.recordingFileConfig,
    onhold: false,
    layout: 'transcodingConfig' in request.recordingConfig ? request.recordingConfig.transcodingConfig : undefined,
    storage: storageOf(request.storageConfig),
  };
}
