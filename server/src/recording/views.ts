import { AppErrorCode, type Recording, type RecordingFile, type RecordingStopOutput } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import type { RecordingRecord, StoredFile } from '../store/index.js';
import { lifeView } from '../tasks/views.js';

/** Stored files as clients see them (times as Dates). */
export function toFiles(files: StoredFile[]): RecordingFile[] {
  return files.map((file) => ({
    fileName: file.fileName,
    ...(file.trackType ? { trackType: file.trackType } : {}),
    ...(file.uid !== undefined ? { uid: file.uid } : {}),
    ...(file.mixedAllUser !== undefined ? { mixedAllUser: file.mixedAllUser } : {}),
    ...(file.isPlayable !== undefined ? { isPlayable: file.isPlayable } : {}),
    ...(file.sliceStartTime !== undefined ? { sliceStartTime: new Date(file.sliceStartTime) } : {}),
  }));
}

/** The client-facing view of a stored recording. */
export function toRecording(record: RecordingRecord): Recording {
  return {
    id: record.id,
    channel: record.channel,
    uid: record.uid,
    mode: record.mode,
    owner: record.owner,
    state: record.state,
    resourceId: record.resourceId,
    sid: record.sid,
    agoraStatus: record.agoraStatus,
    files: toFiles(record.files),
    uploadingStatus: record.uploadingStatus,
    maxDurationSeconds: record.maxDurationSeconds,
    fileNamePrefix: record.fileNamePrefix,
    ...lifeView(record),
  };
}

/** What `recording.stop` answers: stopped (confirmed by Agora), or still stopping. */
export function toStopOutput(record: RecordingRecord, alreadyStopped: boolean): RecordingStopOutput {
  return {
    id: record.id,
    state: record.state === 'failed' || record.state === 'stopping' ? record.state : 'stopped',
    files: toFiles(record.files),
    uploadingStatus: record.uploadingStatus,
    alreadyStopped,
    lastError: record.state === 'failed' ? record.lastError : null,
  };
}

export const recordingNotFound = () => new AppError(AppErrorCode.RECORDING_NOT_FOUND, 'No such recording');
