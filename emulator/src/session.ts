import { end, refresh, uploadsBackedUp } from './lifecycle.js';
import { invalid, notFound, service } from './replies.js';
import { subscriptionsOf } from './start.js';
import { fileEntries, statusOf, webFileEntries } from './task-model.js';
import type { Endpoint, Mode, Reply, Task } from './types.js';
import { LayoutRule, reasonFor, StopRequest, UpdateRequest } from './validation.js';
import { isActive, type World } from './world.js';

/** The calls on a running task: query, update, updateLayout and stop, and the task they name. */

export interface SessionCall {
  resourceId: string;
  sid: string;
  mode: Mode;
  endpoint: Endpoint;
  /** Undefined for query (a GET). */
  body: Record<string, unknown> | undefined;
  inFailover: boolean;
}

/** Finds the task a session call names, or Agora's answer for why there is none. */
export function findSession(world: World, call: SessionCall): Task | Reply {
  const task = world.tasks.get(call.sid);
  if (!task) return notFound();
  if (task.resourceId !== call.resourceId) return service(400, 1003, 'sid does not belong to this resourceId');
  refresh(world, task);
  const now = world.clock.now();
  if (!isActive(task)) {
    const lingering = now - task.endedAt! < world.timing.exitLingerMs;
    // A task on its way out answers stop with 49; once gone, 404.
    if (call.endpoint === 'stop' && lingering) return service(400, 49, 'invalid operation');
    // One that failed still answers query for a moment, with status 20 (exited abnormally).
    if (call.endpoint === 'query' && lingering && task.endReason === 'failed') return task;
    return notFound();
  }
  // resourceExpiredHour has passed: the recording goes on, but it can no longer be reached.
  if (now >= task.callableUntil) return notFound();
  if (call.inFailover && (call.endpoint === 'query' || call.endpoint === 'stop')) return notFound();
  if (task.mode !== call.mode) return invalid(`invalid parameter: the recording runs in ${task.mode} mode`);
  if (call.body && (call.body.cname !== task.cname || call.body.uid !== task.uid))
    return service(400, 432, 'cname or uid does not match the recording');
  return task;
}

const identity = (task: Task) => ({ cname: task.cname, uid: task.uid, resourceId: task.resourceId, sid: task.sid });

function webState(world: World, task: Task, now: number, state: 'init' | 'inProgress' | 'exit') {
  return { serviceName: 'web_recorder_service', payload: { fileList: webFileEntries(world, task, now), onhold: task.onhold, state } };
}

/** The query answer's serverResponse, by mode (README, "Answers"). */
function queryResponse(world: World, task: Task, now: number) {
  const status = statusOf(world, task, now);
  if (task.mode === 'web') return { status, extensionServiceState: [webState(world, task, now, status >= 4 ? 'inProgress' : 'init')] };
  // The spec: the top-level sliceStartTime is individual mode's only.
  const slice = task.mode === 'individual' && task.firstPublishAt !== undefined ? { sliceStartTime: task.firstPublishAt } : {};
  if (task.screenshotOnly) return { status, ...slice };
  return { status, ...fileListOf(world, task, now), ...slice };
}

/** "string" (the playlist name) for mix with HLS only, "json" otherwise. */
function fileListOf(world: World, task: Task, now: number) {
  const files = fileEntries(world, task, now);
  if (task.mode === 'mix' && !task.avFileType.includes('mp4')) return { fileListMode: 'string', fileList: files[0]?.fileName ?? '' };
  return { fileListMode: 'json', fileList: files };
}

export function query(world: World, task: Task): Reply {
  return { status: 200, body: { ...identity(task), serverResponse: queryResponse(world, task, world.clock.now()) } };
}

export async function stop(world: World, task: Task, clientRequest: unknown): Promise<Reply> {
  const parsed = StopRequest.safeParse(clientRequest ?? {});
  if (!parsed.success) return invalid(reasonFor(parsed.error));
  const now = world.clock.now();
  const neverPublished = task.mode !== 'web' && task.firstPublishAt === undefined;
  end(world, task, now, 'stopped');
  // Synchronous stop answers once the files are uploaded; async_stop answers at once.
  if (!parsed.data.async_stop) await Promise.all([...world.pendingWrites]);
  // 206 + 435 when nobody published, so there is nothing to upload.
  if (neverPublished) return service(206, 435, 'no recorded data');
  const uploadingStatus = uploadsBackedUp(task) ? 'backuped' : 'uploaded';
  if (task.mode === 'web') {
    const states = [{ serviceName: 'upload_service', payload: { uploadingStatus } }, webState(world, task, now, 'exit')];
    return { status: 200, body: { ...identity(task), serverResponse: { extensionServiceState: states } } };
  }
  if (task.screenshotOnly) return { status: 200, body: { ...identity(task), serverResponse: { uploadingStatus } } };
  return { status: 200, body: { ...identity(task), serverResponse: { ...fileListOf(world, task, now), uploadingStatus } } };
}

export function update(task: Task, clientRequest: unknown): Reply {
  const parsed = UpdateRequest.safeParse(clientRequest ?? {});
  if (!parsed.success) return invalid(reasonFor(parsed.error));
  const request = parsed.data;
  if (request.streamSubscribe && task.mode === 'web')
    return invalid('invalid parameter: clientRequest.streamSubscribe is not for web mode');
  if ((request.webRecordingConfig || request.rtmpPublishConfig) && task.mode !== 'web') {
    return invalid(
      `invalid parameter: clientRequest.${request.webRecordingConfig ? 'webRecordingConfig' : 'rtmpPublishConfig'} is only for web mode`,
    );
  }
  const storage = request.storageConfig;
  if (
    storage &&
    (storage.vendor !== task.storage.vendor || storage.region !== task.storage.region || storage.bucket !== task.storage.bucket)
  ) {
    return invalid('invalid parameter: clientRequest.storageConfig may refresh credentials, not change vendor, region or bucket');
  }
  const audio = request.streamSubscribe?.audioUidList;
  const video = request.streamSubscribe?.videoUidList;
  if (audio) Object.assign(task, pick(subscriptionsOf(audio), 'subscribeAudio', 'unsubscribeAudio'));
  if (video) Object.assign(task, pick(subscriptionsOf(video), 'subscribeVideo', 'unsubscribeVideo'));
  if (request.webRecordingConfig) task.onhold = request.webRecordingConfig.onhold;
  if (storage) task.storage.stsExpiration = storage.stsExpiration;
  return { status: 200, body: identity(task) };
}

function pick<T extends object, K extends keyof T>(value: T, ...keys: K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((key) => [key, value[key]])) as Pick<T, K>;
}

export function updateLayout(task: Task, clientRequest: unknown): Reply {
  const parsed = LayoutRule.safeParse(clientRequest ?? {});
  if (!parsed.success) return invalid(reasonFor(parsed.error));
  // Each call replaces the whole layout; omitted fields go back to their defaults.
  task.layout = { mixedVideoLayout: 0, backgroundColor: '#000000', ...parsed.data };
  return { status: 200, body: identity(task) };
}
