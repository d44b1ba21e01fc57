import type { RecordingFilesOutput, RecordingObject, RecordingObjectKind } from '@agora-backend/shared';
import type { RecordingRecord, StoredFile } from '../store/index.js';
import type { RecordingStorage } from '../storage/index.js';
import { contentTypeOf, extensionOf, linkObject, type LinkRequest } from '../tasks/links.js';

/**
 * A recording's objects as callers see them: what each one is (from Agora's naming, docs/agora.md
 * "Files"), and a link to read it.
 */

const KINDS: Record<string, RecordingObjectKind> = { m3u8: 'playlist', ts: 'segment', mp4: 'mp4', jpg: 'snapshot' };

/** `…__uid_s_<uid>__uid_e_<audio|video>…`: an individual recording's object of one publisher. */
const PUBLISHER = /__uid_s_([^_]+)__uid_e_(audio|video)/;
/** `…_<yyyyMMddHHmmssSSS>.<ext>`: a segment's or snapshot's start, in UTC. */
const STAMP = /_(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})\.[a-z0-9]+$/i;

function stampOf(fileName: string): Date | null {
  const parts = STAMP.exec(fileName)?.slice(1).map(Number);
  if (!parts) return null;
  const [year, month, day, hour, minute, second, ms] = parts as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** What an object is, from its name and (for playlists and MP4s) what Agora reported of it. */
export function describeObject(
  key: string,
  reported: StoredFile | undefined,
): Omit<RecordingObject, 'url' | 'urlExpiresAt' | 'unavailableReason' | 'size' | 'playbackUrl'> {
  const fileName = key.slice(key.lastIndexOf('/') + 1);
  const kind = KINDS[extensionOf(fileName)] ?? 'other';
  const contentType = contentTypeOf(fileName);
  const publisher = PUBLISHER.exec(fileName);
  const trackType = publisher
    ? (publisher[2] as 'audio' | 'video')
    : kind === 'snapshot'
      ? 'video'
      : kind === 'other'
        ? null
        : 'audio_and_video';
  const sliceStart = reported?.sliceStartTime === undefined ? null : new Date(reported.sliceStartTime);
  return {
    key,
    fileName,
    kind,
    uid: publisher?.[1] ?? reported?.uid ?? null,
    trackType: reported?.trackType ?? trackType,
    startedAt: stampOf(fileName) ?? sliceStart,
    contentType,
  };
}

const isSnapshot = (file: StoredFile) => extensionOf(file.fileName) === 'jpg';

/**
 * A recording's file list after Agora reported some: its query, stop and upload notices list the
 * playlists and MP4s (and replace what we had), snapshots arrive one notice at a time and are
 * kept, so the list only grows.
 */
export function mergeFiles(current: StoredFile[], reported: StoredFile[]): StoredFile[] {
  const media = reported.filter((file) => !isSnapshot(file));
  const snapshots = new Map(current.filter(isSnapshot).map((file) => [file.fileName, file]));
  for (const file of reported.filter(isSnapshot)) snapshots.set(file.fileName, file);
  return [...(media.length > 0 ? media : current.filter((file) => !isSnapshot(file))), ...snapshots.values()];
}

/** A snapshot notice's file (`<prefix>/<name>.jpg`) as the list keeps it: the name, its publisher. */
export function snapshotFile(path: string): StoredFile {
  const fileName = path.slice(path.lastIndexOf('/') + 1);
  const uid = PUBLISHER.exec(fileName)?.[1];
  return { fileName, trackType: 'video', ...(uid !== undefined ? { uid } : {}), mixedAllUser: false };
}

/** Agora's fileName may or may not carry the prefix: the key always does. */
const keyOf = (prefix: string, fileName: string) => (fileName.startsWith(`${prefix}/`) ? fileName : `${prefix}/${fileName}`);

/**
 * Every object of a recording with a link: the bucket's listing under the recording's prefix, or,
 * where the bucket cannot be listed, the files Agora reported.
 */
export async function listRecordingObjects(
  record: RecordingRecord,
  storage: RecordingStorage,
  link: LinkRequest,
): Promise<RecordingFilesOutput> {
  const reported = new Map(record.files.map((file) => [keyOf(record.fileNamePrefix, file.fileName), file]));
  const listed = await storage.list(record.fileNamePrefix);
  const objects: { key: string; size: number | null }[] =
    'unavailable' in listed
      ? [...reported.keys()].map((key) => ({ key, size: null }))
      : listed.map((object) => ({ key: object.key, size: object.size }));
  const files = await Promise.all(
    objects.map(async ({ key, size }): Promise<RecordingObject> => ({
      ...describeObject(key, reported.get(key)),
      size,
      ...(await linkObject(storage, link, key)),
    })),
  );
  return { id: record.id, source: 'unavailable' in listed ? 'agora' : 'bucket', files };
}
