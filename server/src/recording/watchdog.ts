import type { RecordingRecord } from '../store/index.js';
import { createWatchdog as createTaskWatchdog, type WatchdogOptions } from '../tasks/watchdog.js';

/** Whether a recording has run past its max duration (the poller holding it stops it). */
export function pastMaxDuration(record: RecordingRecord, now: number): boolean {
  return (
    record.sid !== null && record.state !== 'stopping' && now >= (record.startedAt ?? record.createdAt) + record.maxDurationSeconds * 1000
  );
}

/** What makes the watchdog a recordings' one: a sid means started, the max duration is the deadline, the "watchdog" lease settles starts. */
export const recordingWatch = {
  kind: 'recording',
  settleLease: 'watchdog',
  started: (record: RecordingRecord) => record.sid !== null,
  pastDeadline: pastMaxDuration,
} as const;

/** The recordings' watchdog (tasks/watchdog.ts with the recordings' rules). */
export function createWatchdog(options: Omit<WatchdogOptions<RecordingRecord>, keyof typeof recordingWatch>) {
  return createTaskWatchdog<RecordingRecord>({ ...recordingWatch, ...options });
}
