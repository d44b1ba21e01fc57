import type { RecordingFilesOutput, RecordingObject, RecordingObjectKind } from '@agora-backend/shared';
import type { RecordingRecord, StoredFile } from '../store/index.js';
import type { Clock } from '../clock.js';
import { signedPath, type LinkSigner, type RecordingStorage } from '../storage/index.js';

/**
 * A recording's objects as callers see them: what each one is (from Agora's naming, docs/agora.md
 * "Files"), and a link to read it.
 */

const KINDS: Record<string, { kind: RecordingObjectKind; contentType: string }> = {
  m3u8: { kind: 'playlist', contentType: 'application/vnd.apple.mpegurl' },
  ts: { kind: 'segment', contentType: 'video/mp2t' },
  mp4: { kind: 'mp4', contentType: 'video/mp4' },
  jpg: { kind: 'snapshot', contentType: 'image/jpeg' },
  // Caption slices of a transcription (they share the bucket).
  vtt: { kind: 'other', contentType: 'text/vtt; charset=utf-8' },
};

/** The content type of an object by its extension (also what the embedded file server sends). */
export function contentTypeOf(fileName: string): string {
  return KINDS[extensionOf(fileName)]?.contentType ?? 'application/octet-stream';
}

const extensionOf = (fileName: string) => /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? '';

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
export function describeObject(key: string, reported: StoredFile | undefined): Omit<RecordingObject, 'url' | 'urlExpiresAt' | 'unavailableReason' | 'size' | 'playbackUrl'> {
  const fileName = key.slice(key.lastIndexOf('/') + 1);
  const { kind, contentType } = KINDS[extensionOf(fileName)] ?? { kind: 'other' as const, contentType: 'application/octet-stream' };
  const publisher = PUBLISHER.exec(fileName);
  const trackType = publisher ? (publisher[2] as 'audio' | 'video') : kind === 'snapshot' ? 'video' : kind === 'other' ? null : 'audio_and_video';
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

/** How the caller wants links: how long they last, and the origin it reached us at. */
export interface LinkRequest {
  expiresInSeconds: number;
  origin: string;
  clock: Clock;
  signer?: LinkSigner | undefined;
}

/** An object's link (absolute, as the caller reached us), its expiry or why there is none, and a playlist's playback link. */
export async function linkObject(storage: RecordingStorage, link: LinkRequest, key: string) {
  const absolute = (url: string) => (url.startsWith('/') ? `${link.origin}${url}` : url);
  const made = await storage.link(key, link.expiresInSeconds);
  const url = made.url === null ? null : absolute(made.url);
  // A bucket's playlist plays through our signed folder link, which redirects each object.
  let playbackUrl: string | null = null;
  if (key.endsWith('.m3u8') && url !== null) {
    if (storage.kind === 'embedded') playbackUrl = url;
    else if (link.signer) playbackUrl = absolute(signedPath(link.signer, link.clock, key, link.expiresInSeconds).url);
  }
  return { url, urlExpiresAt: made.url === null ? null : new Date(made.expiresAt), unavailableReason: made.url === null ? made.reason : null, playbackUrl };
}

/** Agora's fileName may or may not carry the prefix: the key always does. */
const keyOf = (prefix: string, fileName: string) => (fileName.startsWith(`${prefix}/`) ? fileName : `${prefix}/${fileName}`);

/**
 * Every object of a recording with a link: the bucket's listing under the recording's prefix, or,
 * where the bucket cannot be listed, the files Agora reported.
 */
export async function listRecordingObjects(record: RecordingRecord, storage: RecordingStorage, link: LinkRequest): Promise<RecordingFilesOutput> {
  const reported = new Map(record.files.map((file) => [keyOf(record.fileNamePrefix, file.fileName), file]));
  const listed = await storage.list(record.fileNamePrefix);
  const objects: { key: string; size: number | null }[] =
    'unavailable' in listed ? [...reported.keys()].map((key) => ({ key, size: null })) : listed.map((object) => ({ key: object.key, size: object.size }));
  const files = await Promise.all(
    objects.map(async ({ key, size }): Promise<RecordingObject> => ({ ...describeObject(key, reported.get(key)), size, ...(await linkObject(storage, link, key)) })),
  );
  return { id: record.id, source: 'unavailable' in listed ? 'agora' : 'bucket', files };
}
