import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { MEDIA, MEDIA_MP4_SECONDS } from './media.js';
import { readClip, repeatClip, type Mp4Clip } from './mp4.js';

/**
 * Recording file names as Agora makes them (README, "Files") and their stand-ins on local disk.
 * `<utc>` is yyyyMMddHHmmssSSS in UTC.
 */
export function utcStamp(ms: number): string {
  const d = new Date(ms);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}${pad(d.getUTCMilliseconds(), 3)}`;
}

/** Web mode replaces special characters of the channel label with `-`. */
export function webSafeName(cname: string): string {
  return cname.replace(/[^a-zA-Z0-9]/g, '-');
}

export interface PlannedFile {
  /** The name Agora reports (query/stop `fileName`). */
  fileName: string;
  trackType: 'audio' | 'video' | 'audio_and_video';
  uid: string;
  mixedAllUser: boolean;
  sliceStartTime: number;
  /** Segment names a playlist lists; empty for MP4 files. */
  segments: string[];
  /** MP4 files: how long it plays. */
  durationMs?: number;
}

export interface RecordingShape {
  mode: 'individual' | 'mix' | 'web';
  sid: string;
  cname: string;
  avFileType: ('hls' | 'mp4')[];
  /** Audio/video tracks per uid (individual). */
  tracks: { uid: string; track: 'audio' | 'video' }[];
  /** When the first slice starts (first publisher seen, or the page loaded). */
  sliceStartTime: number;
  /** How many segments each playlist has so far. */
  segmentCount: number;
  segmentMs: number;
  /** How long it has recorded so far. */
  recordedMs: number;
  /** Web: a new MP4 file every this long (maxVideoDuration); undefined: one MP4. */
  mp4SliceMs: number | undefined;
}

/** The files a recording has produced so far. */
export function planFiles(shape: RecordingShape): PlannedFile[] {
  const segmentStamps = Array.from({ length: shape.segmentCount }, (_, index) => utcStamp(shape.sliceStartTime + index * shape.segmentMs));
  if (shape.mode === 'individual') {
    return shape.tracks.map(({ uid, track }) => {
      const base = `${shape.sid}_${shape.cname}__uid_s_${uid}__uid_e_${track}`;
      return {
        fileName: `${base}.m3u8`,
        trackType: track,
        uid,
        mixedAllUser: false,
        sliceStartTime: shape.sliceStartTime,
        segments: segmentStamps.map((stamp) => `${base}_${stamp}.ts`),
      };
    });
  }
  const base = `${shape.sid}_${shape.mode === 'web' ? webSafeName(shape.cname) : shape.cname}`;
  const files: PlannedFile[] = [
    {
      fileName: `${base}.m3u8`,
      trackType: 'audio_and_video',
      uid: '0',
      mixedAllUser: true,
      sliceStartTime: shape.sliceStartTime,
      segments: segmentStamps.map((stamp) => `${base}_${stamp}.ts`),
    },
  ];
  if (shape.avFileType.includes('mp4')) {
    const slice = shape.mp4SliceMs ?? Math.max(1, shape.recordedMs);
    const count = Math.max(1, Math.ceil(shape.recordedMs / slice));
    for (let index = 0; index < count; index++) {
      const durationMs = Math.max(0, Math.min(slice, shape.recordedMs - index * slice));
      files.push({
        fileName: `${base}_${index}.mp4`,
        trackType: 'audio_and_video',
        uid: '0',
        mixedAllUser: true,
        sliceStartTime: shape.sliceStartTime + index * slice,
        segments: [],
        durationMs,
      });
    }
  }
  return files;
}

/** Screenshot names: one JPEG per publisher per capture (individual mode). */
export function snapshotName(sid: string, cname: string, uid: string, takenAt: number): string {
  return `${sid}_${cname}__uid_s_${uid}__uid_e_video_${utcStamp(takenAt)}.jpg`;
}

/**
 * An HLS playlist of the segments so far. Every segment is a copy of the same clip, so each after
 * the first is marked a discontinuity (its timestamps start again). `#EXT-X-ENDLIST` comes only once
 * the recording has ended: until then players treat it as live and reload it.
 */
export function playlist(file: PlannedFile, segmentSeconds: number, ended: boolean): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.ceil(segmentSeconds)}`, '#EXT-X-MEDIA-SEQUENCE:0'];
  if (ended) lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  file.segments.forEach((segment, index) => {
    if (index > 0) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${segmentSeconds.toFixed(3)},`, segment);
  });
  if (ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

export interface Upload {
  files: PlannedFile[];
  snapshots: string[];
  segmentMs: number;
  ended: boolean;
  /** Object names already in the bucket: media objects never change, so they are copied once. */
  uploaded: Set<string>;
}

let mp4Clip: Mp4Clip | undefined;

/** An MP4 as long as its part of the recording (the clip repeated); rewritten only when it grows. */
async function writeMp4(folder: string, file: PlannedFile, uploaded: Set<string>) {
  const repeats = Math.max(1, Math.ceil((file.durationMs ?? 0) / (MEDIA_MP4_SECONDS * 1000)));
  const version = `${file.fileName}@${repeats}`;
  if (uploaded.has(version)) return;
  mp4Clip ??= readClip(await readFile(MEDIA.mp4), MEDIA_MP4_SECONDS);
  await writeFile(join(folder, file.fileName), repeatClip(mp4Clip, repeats));
  uploaded.add(version);
}

/**
 * Writes what Agora would upload into `storageDir/<bucket>/<prefix…>/`: playlists listing their
 * segments, and real media from `media/`: MPEG-TS segments and JPEG snapshots copied, MP4s as
 * long as the recording.
 */
export async function writeObjects(storageDir: string, bucket: string, prefix: string[], upload: Upload): Promise<void> {
  const root = resolve(storageDir, bucket);
  const folder = resolve(root, ...prefix);
  // Prefix segments are letters and digits (validated), but never write outside the bucket.
  if (folder !== root && !folder.startsWith(root + sep)) throw new Error('fileNamePrefix escapes the bucket');
  await mkdir(folder, { recursive: true });
  const copyOnce = async (source: string, name: string) => {
    if (upload.uploaded.has(name)) return;
    await copyFile(source, join(folder, name));
    upload.uploaded.add(name);
  };
  for (const file of upload.files) {
    if (file.fileName.endsWith('.m3u8')) {
      for (const segment of file.segments) await copyOnce(MEDIA.segment[file.trackType], segment);
      // Written after its segments, so a reader never finds a playlist naming a missing segment.
      await writeFile(join(folder, file.fileName), playlist(file, upload.segmentMs / 1000, upload.ended));
    } else {
      await writeMp4(folder, file, upload.uploaded);
    }
  }
  for (const snapshot of upload.snapshots) await copyOnce(MEDIA.snapshot, snapshot);
}
