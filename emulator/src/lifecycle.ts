import { writeObjects } from './files.js';
import { SERVICE_TYPE } from './notifications.js';
import { fileEntries, filesOf, snapshotsOf, statusOf, webFileEntries } from './task-model.js';
import type { EndReason, Task } from './types.js';
import { isActive, type World } from './world.js';

/**
 * How a task moves with time: idle exit, web max duration, first upload, snapshots, the end;
 * and the notices each step sends. State is brought up to date lazily, on every call and on the
 * notifier's tick, so a fake clock drives it deterministically.
 */

export function notify(
  world: World,
  task: Task,
  eventType: number,
  serviceType: number,
  details: Record<string, unknown> & { msgName: string },
  at = world.clock.now(),
) {
  world.notifier.emit({ eventType, serviceType, cname: task.cname, uid: task.uid, sid: task.sid, sequence: task.sequence++, at, details });
}

/** Uploads what the task has produced by `now` (after the writes already queued). */
export function persist(world: World, task: Task, now: number): Promise<unknown> {
  const files = filesOf(world, task, now);
  const snapshots = snapshotsOf(task, now);
  if (files.length === 0 && snapshots.length === 0) return Promise.resolve();
  task.segmentsUploaded = files[0]?.segments.length ?? 0;
  const upload = { files, snapshots, segmentMs: world.timing.segmentMs, ended: !isActive(task), uploaded: task.uploaded };
  const write = task.uploading
    .then(() => writeObjects(world.storageDir, task.storage.bucket, task.storage.prefix, upload))
    .catch(() => undefined);
  task.uploading = write;
  world.pendingWrites.add(write);
  void write.finally(() => world.pendingWrites.delete(write));
  return write;
}

/** While recording, each new segment is uploaded when it is complete, as Agora does. */
function uploadNewSegments(world: World, task: Task, now: number) {
  const segments = filesOf(world, task, now)[0]?.segments.length ?? 0;
  if (segments > task.segmentsUploaded) void persist(world, task, now);
}

/** The notices of a start: the recorder (or page recorder) and the uploader are up. */
export function announceStart(world: World, task: Task) {
  if (task.mode === 'web')
    notify(world, task, 70, SERVICE_TYPE.webRecorder, { msgName: 'web_recorder_started', recorderStartTime: task.startedAt });
  else notify(world, task, 40, SERVICE_TYPE.recorder, { msgName: 'recorder_started', status: 0 });
  notify(world, task, 30, SERVICE_TYPE.uploader, { msgName: 'uploader_started', status: 0 });
}

/** Brings a task up to `now`: idle exit, web max duration, first files, snapshots. */
export function refresh(world: World, task: Task, now = world.clock.now()) {
  if (!isActive(task)) return;
  if (task.maxIdleMs !== undefined && task.idleSince !== undefined && now - task.idleSince >= task.maxIdleMs) {
    end(world, task, task.idleSince + task.maxIdleMs, 'idle');
    return;
  }
  if (task.maxRecordingMs !== undefined && now - task.startedAt >= task.maxRecordingMs) {
    end(world, task, task.startedAt + task.maxRecordingMs, 'max_recording_hour');
    return;
  }
  if (!task.wroteFirstFiles && statusOf(world, task, now) === 5 && filesOf(world, task, now).length > 0) {
    task.wroteFirstFiles = true;
    void persist(world, task, now);
    if (task.mode !== 'web')
      notify(world, task, 4, SERVICE_TYPE.service, { msgName: 'cloud_recording_file_infos', fileList: fileEntries(world, task, now) });
  } else if (task.wroteFirstFiles) {
    uploadNewSegments(world, task, now);
  }
  announceSnapshots(world, task, now);
}

function announceSnapshots(world: World, task: Task, now: number) {
  const taken = snapshotsOf(task, now);
  if (taken.length <= task.snapshotsSent) return;
  const prefix = task.storage.prefix.length > 0 ? `${task.storage.prefix.join('/')}/` : '';
  const fresh = taken.slice(task.snapshotsSent);
  task.snapshotsSent = taken.length;
  // Announced once uploaded, as Agora does: whoever reads the notice finds the file.
  void persist(world, task, now).then(() => {
    for (const name of fresh)
      notify(world, task, 45, SERVICE_TYPE.recorder, { msgName: 'recorder_snapshot_file', fileName: `${prefix}${name}` }, now);
  });
}

export function refreshAll(world: World, now = world.clock.now()) {
  for (const task of world.tasks.values()) refresh(world, task, now);
}

/** True when the storage credentials ran out before the end: Agora keeps the files in its backup. */
export const uploadsBackedUp = (task: Task) =>
  task.storage.stsExpiration !== undefined && task.storage.stsExpiration * 1000 <= (task.endedAt ?? Number.POSITIVE_INFINITY);

/** recorder_leave's leaveCode bits: 2 stopped by signal, 4 nobody left, 16 asked to leave. */
const LEAVE_CODE: Record<EndReason, number> = { stopped: 16, idle: 4, max_recording_hour: 16, failed: 2 };
/** web_recorder_stopped's code: 0 asked, 1 max_recording_hour, 6 recorder error. */
const WEB_STOP: Record<EndReason, [number, string]> = {
  stopped: [0, 'ok'],
  idle: [0, 'ok'],
  max_recording_hour: [1, 'max_recording_hour'],
  failed: [6, 'recorder_error'],
};

export function end(world: World, task: Task, at: number, reason: EndReason) {
  task.endedAt = at;
  task.endReason = reason;
  void persist(world, task, at);
  announceSnapshots(world, task, at);
  if (task.mode === 'web') {
    const [code, message] = WEB_STOP[reason];
    notify(
      world,
      task,
      71,
      SERVICE_TYPE.webRecorder,
      { msgName: 'web_recorder_stopped', code, message, details: '', fileList: webFileEntries(world, task, at) },
      at,
    );
  } else {
    notify(world, task, 41, SERVICE_TYPE.recorder, { msgName: 'recorder_leave', leaveCode: LEAVE_CODE[reason] }, at);
  }
  const uploaded = uploadsBackedUp(task) ? { eventType: 32, msgName: 'backuped' } : { eventType: 31, msgName: 'uploaded' };
  const fileList = task.mode === 'web' ? {} : { fileList: fileEntries(world, task, at) };
  notify(world, task, uploaded.eventType, SERVICE_TYPE.uploader, { msgName: uploaded.msgName, status: 0, ...fileList }, at);
  notify(world, task, 11, SERVICE_TYPE.service, { msgName: 'session_exit', exitStatus: reason === 'failed' ? 1 : 0 }, at);
}

/** A fatal error on Agora's side (control API): an error notice, then the task exits abnormally. */
export function fail(world: World, task: Task, error: { module: number; errorCode: number; errorMsg: string }) {
  const now = world.clock.now();
  notify(
    world,
    task,
    1,
    SERVICE_TYPE.service,
    {
      msgName: 'cloud_recording_error',
      module: error.module,
      errorLevel: 5,
      errorCode: error.errorCode,
      stat: 0,
      errorMsg: error.errorMsg,
    },
    now,
  );
  end(world, task, now, 'failed');
}

/** A publisher changed in `cname`: restart or stop the idle countdown of its recordings. */
export function onPresenceChange(world: World, cname: string) {
  const now = world.clock.now();
  const present = world.publishers.get(cname) ?? new Set<string>();
  for (const task of world.tasks.values()) {
    if (task.cname !== cname) continue;
    refresh(world, task, now);
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
