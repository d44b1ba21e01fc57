import type { RecordingState } from '@agora-backend/shared';
import { readFileList } from '../agora/index.js';
import type { StoredError, StoredFile } from '../store/index.js';
import { failure } from '../tasks/failure.js';
import type { Notice } from '../tasks/notice.js';
import { snapshotFile } from './files.js';
import { stateFromAgoraStatus } from './state.js';

/**
 * What Agora's Notification Center says about a Cloud Recording, read from a verified notice
 * (docs/agora.md, "Webhooks"). The HTTP side (signature, body, answer) is the edge's.
 */

export const CLOUD_RECORDING_PRODUCT = 3;

export interface WebhookChange {
  state?: RecordingState;
  agoraStatus?: number;
  files?: StoredFile[];
  /** Ask the poller to query now rather than trust the event alone. */
  pollNow?: boolean;
  /** Why the recording is failing, in Agora's words (a fatal error notice). */
  lastError?: StoredError;
}

/** cloud_recording_error's `module`: which part of Agora's recording service failed. */
const MODULES: Record<number, string> = { 0: 'recorder', 1: 'uploader', 2: 'service', 6: 'web recorder' };

/** A fatal error notice (level 5) in our words: Agora's message, code and module, reason `error_<code>`. */
function fatalError(details: Record<string, unknown>): StoredError {
  const code = typeof details.errorCode === 'number' ? details.errorCode : undefined;
  const module = typeof details.module === 'number' ? (MODULES[details.module] ?? `module ${details.module}`) : 'unknown module';
  const said = typeof details.errorMsg === 'string' && details.errorMsg !== '' ? details.errorMsg : 'fatal error';
  return failure(
    `Agora: ${said} (${module}, error code ${code ?? 'unknown'})`,
    code === undefined ? 'agora_error' : `error_${code}`,
    'notice',
  );
}

/**
 * What a Cloud Recording event says about the recording (docs/agora.md, "Webhooks"). An end
 * (session exit, web recorder stopped, an exited status) is never taken on a notice's word: it
 * asks for a query, so a replayed or forged-looking old notice cannot end a live recording.
 */
export function changeFromNotice(notice: Notice): WebhookChange | undefined {
  const details = notice.payload.details ?? {};
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  switch (notice.eventType) {
    case 1: // cloud_recording_error: level 5 is fatal, ask Agora where things stand
      return number(details.errorLevel) === 5 ? { pollNow: true, lastError: fatalError(details) } : undefined;
    case 3: {
      // cloud_recording_status_update
      const status = number(details.status);
      if (status === undefined) return undefined;
      const state = stateFromAgoraStatus(status);
      const files = readFileList(details.fileList);
      return state === 'stopped' || state === 'failed' ? { files, pollNow: true } : { agoraStatus: status, state, files };
    }
    case 4: // cloud_recording_file_infos
    case 31: // uploaded
    case 32: // backuped
      return { files: readFileList(details.fileList) };
    case 11: // session_exit
    case 41: // recorder_leave
      return { pollNow: true };
    case 40: // recorder_started
      return { state: 'recording' };
    case 45: // recorder_snapshot_file
      return typeof details.fileName === 'string' && details.fileName !== '' ? { files: [snapshotFile(details.fileName)] } : undefined;
    case 71: // web_recorder_stopped
      return { files: readFileList(details.fileList), pollNow: true };
    default:
      return undefined;
  }
}
