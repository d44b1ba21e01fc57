import type { CaptionObject, TranscriptionFilesOutput } from '@agora-backend/shared';
import { contentTypeOf, linkObject, type LinkRequest } from '../tasks/links.js';
import type { TranscriptionRecord } from '../store/index.js';
import type { RecordingStorage } from '../storage/index.js';

/** `…_yyyyMMddHHmmssSSS.vtt`: when a caption slice starts (UTC). */
const SLICE_STAMP = /_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})\.vtt$/;

function sliceStart(fileName: string): Date | null {
  const match = SLICE_STAMP.exec(fileName);
  if (!match) return null;
  const [year, month, day, hours, minutes, seconds, ms] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds, ms));
}

/**
 * What a caption object is, from Agora's names (docs/agora.md, "Speech-to-Text"):
 * `<agentId>_<channel>…` is the transcription, `<lang>_<agentId>_<channel>…` a translation.
 */
export function describeCaption(
  key: string,
  agentId: string | null,
): Omit<CaptionObject, 'url' | 'urlExpiresAt' | 'unavailableReason' | 'playbackUrl' | 'size'> {
  const fileName = key.slice(key.lastIndexOf('/') + 1);
  const kind = fileName.endsWith('.m3u8') ? 'playlist' : fileName.endsWith('.vtt') ? 'captions' : 'other';
  const at = agentId === null ? -1 : fileName.indexOf(`_${agentId}_`);
  return {
    key,
    fileName,
    kind,
    language: at > 0 ? fileName.slice(0, at) : null,
    startedAt: sliceStart(fileName),
    contentType: contentTypeOf(fileName),
  };
}

/** Every caption object of a transcription in the bucket, each with a link that expires. */
export async function listCaptionObjects(
  record: TranscriptionRecord,
  storage: RecordingStorage,
  link: LinkRequest,
): Promise<TranscriptionFilesOutput> {
  if (record.captionsPrefix === null)
    return { id: record.id, files: [], unavailableReason: 'captions were turned off for this transcription' };
  const listed = await storage.list(record.captionsPrefix);
  if ('unavailable' in listed) return { id: record.id, files: [], unavailableReason: listed.unavailable };
  const files = await Promise.all(
    listed.map(async (object) => ({
      ...describeCaption(object.key, record.agentId),
      size: object.size,
      ...(await linkObject(storage, link, object.key)),
    })),
  );
  return { id: record.id, files, unavailableReason: null };
}
