import { AppErrorCode, type ParsedTranscriptionStartInput, type Transcription } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import type { TranscriptionRecord } from '../store/index.js';
import { lifeView } from '../tasks/views.js';

export const transcriptionNotFound = () => new AppError(AppErrorCode.TRANSCRIPTION_NOT_FOUND, 'No such transcription');

/** The start input the row keeps (what a restarted server needs to know of it). */
export function startOptionsOf(record: TranscriptionRecord): Pick<ParsedTranscriptionStartInput, 'languages' | 'translate'> {
  const options = record.options as Partial<ParsedTranscriptionStartInput> | null;
  return { languages: options?.languages ?? [], translate: options?.translate ?? [] };
}

export function toTranscription(record: TranscriptionRecord): Transcription {
  const { languages, translate } = startOptionsOf(record);
  return {
    id: record.id,
    channel: record.channel,
    uid: record.uid,
    owner: record.owner,
    state: record.state,
    agentId: record.agentId,
    agoraStatus: record.agoraStatus,
    languages,
    translate: translate ?? [],
    captionsPrefix: record.captionsPrefix,
    maxIdleSeconds: record.maxIdleSeconds,
    ...lifeView(record),
  };
}
