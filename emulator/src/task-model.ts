import { planFiles, snapshotName, type PlannedFile } from './files.js';
import type { Task, TaskView } from './types.js';
import { isActive, type World } from './world.js';

/**
 * What a task is at a moment: its status number, which tracks it records, which files and
 * snapshots exist. Pure functions of the task and the time.
 */

/** Agora's status: 0..5 while starting and running, 7 stopped, 8 exited, 20 exited abnormally. */
export function statusOf(world: World, task: Task, now: number): number {
  if (!isActive(task)) return task.endReason === 'stopped' ? 7 : task.endReason === 'failed' ? 20 : 8;
  const step = world.timing.statusStepMs;
  const steps = step === 0 ? 5 : Math.floor((now - task.startedAt) / step);
  // 5 means "first file uploaded": there is nothing to upload until someone publishes.
  return Math.min(steps, task.firstPublishAt === undefined && task.mode !== 'web' ? 4 : 5);
}

export function recordsUid(task: Task, uid: string, track: 'audio' | 'video'): boolean {
  const allow = track === 'audio' ? task.subscribeAudio : task.subscribeVideo;
  const block = track === 'audio' ? task.unsubscribeAudio : task.unsubscribeVideo;
  if (allow && !allow.has('#allstream#') && !allow.has(uid)) return false;
  if (block?.has(uid)) return false;
  if (track === 'audio' && task.streamTypes === 1) return false;
  if (track === 'video' && task.streamTypes === 0) return false;
  return true;
}

/** When the first slice starts: the first publisher, or (web) the page. */
const sliceStartOf = (task: Task) => (task.mode === 'web' ? task.startedAt : (task.firstPublishAt ?? task.startedAt));

export function filesOf(world: World, task: Task, now: number): PlannedFile[] {
  // Nobody ever published: nothing was recorded, before the end or after it (stop answers 435).
  if (task.mode !== 'web' && task.firstPublishAt === undefined) return [];
  if (task.screenshotOnly || statusOf(world, task, Math.min(now, task.endedAt ?? now)) < 5) return [];
  const sliceStart = sliceStartOf(task);
  const recorded = (task.endedAt ?? now) - sliceStart;
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
    segmentCount: Math.max(1, Math.ceil(recorded / world.timing.segmentMs)),
    segmentMs: world.timing.segmentMs,
    recordedMs: recorded,
    mp4SliceMs: task.mp4SliceMs,
  });
}

/** Snapshot names taken so far: every captureInterval from the first publish, per recorded video uid. */
export function snapshotsOf(task: Task, now: number): string[] {
  if (task.snapshotMs === undefined || task.firstPublishAt === undefined) return [];
  const until = task.endedAt ?? now;
  const names: string[] = [];
  for (let at = task.firstPublishAt; at <= until; at += task.snapshotMs) {
    for (const uid of task.publishersSeen) if (recordsUid(task, uid, 'video')) names.push(snapshotName(task.sid, task.cname, uid, at));
  }
  return names;
}

/** The file list of query answers and notices: Agora's json entries (sliceStartTime in ms, README "Deviations"). */
export function fileEntries(world: World, task: Task, now: number) {
  return filesOf(world, task, now).map((file) => ({
    fileName: file.fileName,
    trackType: file.trackType,
    uid: file.uid,
    mixedAllUser: file.mixedAllUser,
    isPlayable: true,
    sliceStartTime: file.sliceStartTime,
  }));
}

/** Web mode's list: lowercase `filename`. */
export function webFileEntries(world: World, task: Task, now: number) {
  return filesOf(world, task, now).map((file) => ({ filename: file.fileName, sliceStartTime: file.sliceStartTime }));
}

/** A task as the control API shows it. */
export function viewOf(world: World, task: Task, now: number): TaskView {
  return {
    sid: task.sid,
    resourceId: task.resourceId,
    cname: task.cname,
    uid: task.uid,
    mode: task.mode,
    region: task.region,
    status: statusOf(world, task, now),
    active: isActive(task),
    endReason: task.endReason,
    startedAt: task.startedAt,
    endedAt: task.endedAt,
    files: filesOf(world, task, now).map((file) => file.fileName),
    snapshots: snapshotsOf(task, now),
    onhold: task.onhold,
    layout: task.layout,
    stsExpiration: task.storage.stsExpiration,
  };
}
