import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { utcStamp } from '../files.js';
import type { Agent, Cue } from './types.js';

/**
 * Caption files as Agora's Speech-to-Text writes them to the bucket (README, "Speech-to-Text"):
 * WebVTT slices of `sliceDuration` seconds and an HLS playlist listing them, one set for the
 * transcription (`<agentId>_<channel>.m3u8`) and one per translation target
 * (`<lang>_<agentId>_<channel>.m3u8`). Cue times count from the agent's start; a NOTE in each
 * slice gives that start as UTC, which lines captions up with a recording.
 */

export interface CaptionTrack {
  /** Undefined: the transcription itself; otherwise the translation's target language. */
  language: string | undefined;
  playlist: string;
  slices: { name: string; startMs: number; cues: { startMs: number; endMs: number; text: string }[] }[];
}

const baseName = (agent: Agent, language: string | undefined) => `${language ? `${language}_` : ''}${agent.agentId}_${agent.channel}`;

function vttTime(ms: number): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const hours = Math.floor(ms / 3_600_000);
  return `${pad(hours)}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

function textOf(cue: Cue, language: string | undefined): string | undefined {
  if (language === undefined) return cue.text;
  return cue.translations.get(language);
}

/** The caption tracks of an agent at `now`: every slice from its start to now, empty ones included. */
export function planCaptions(agent: Agent, now: number): CaptionTrack[] {
  if (!agent.captions) return [];
  const { sliceMs } = agent.captions;
  const until = Math.max(agent.endedAt ?? now, agent.createdAt + 1);
  const sliceCount = Math.ceil((until - agent.createdAt) / sliceMs);
  const targets = [...new Set(agent.translations.flatMap((pair) => pair.target))];
  return [undefined, ...targets].map((language) => {
    const base = baseName(agent, language);
    const slices = Array.from({ length: sliceCount }, (_, index) => {
      const startMs = index * sliceMs;
      const cues = agent.cues
        .filter((cue) => cue.at - agent.createdAt >= startMs && cue.at - agent.createdAt < startMs + sliceMs)
        .flatMap((cue) => {
          const text = textOf(cue, language);
          const start = cue.at - agent.createdAt;
          return text === undefined ? [] : [{ startMs: start, endMs: start + cue.durationMs, text: `<v ${cue.uid}>${text}` }];
        });
      return { name: `${base}_${utcStamp(agent.createdAt + startMs)}.vtt`, startMs, cues };
    });
    return { language, playlist: `${base}.m3u8`, slices };
  });
}

export function vttSlice(agent: Agent, slice: CaptionTrack['slices'][number]): string {
  const lines = ['WEBVTT', '', `NOTE agent ${agent.agentId} started ${new Date(agent.createdAt).toISOString()}`, ''];
  for (const cue of slice.cues) lines.push(`${vttTime(cue.startMs)} --> ${vttTime(cue.endMs)}`, cue.text, '');
  return lines.join('\n');
}

/** A subtitle media playlist; `#EXT-X-ENDLIST` once the agent has left. */
export function captionPlaylist(track: CaptionTrack, sliceSeconds: number, ended: boolean): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${sliceSeconds}`, '#EXT-X-MEDIA-SEQUENCE:0'];
  if (ended) lines.push('#EXT-X-PLAYLIST-TYPE:VOD');
  for (const slice of track.slices) lines.push(`#EXTINF:${sliceSeconds.toFixed(3)},`, slice.name);
  if (ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** Writes every track into `storageDir/<bucket>/<prefix…>/`; returns the playlists written. */
export async function writeCaptions(storageDir: string, agent: Agent, now: number): Promise<string[]> {
  if (!agent.captions) return [];
  const root = resolve(storageDir, agent.captions.bucket);
  const folder = resolve(root, ...agent.captions.prefix);
  if (folder !== root && !folder.startsWith(root + sep)) throw new Error('fileNamePrefix escapes the bucket');
  await mkdir(folder, { recursive: true });
  const tracks = planCaptions(agent, now);
  const sliceSeconds = agent.captions.sliceMs / 1000;
  for (const track of tracks) {
    for (const slice of track.slices) await writeFile(join(folder, slice.name), vttSlice(agent, slice));
    // After its slices, so a reader never finds a playlist naming a missing file.
    await writeFile(join(folder, track.playlist), captionPlaylist(track, sliceSeconds, agent.endedAt !== undefined));
  }
  return tracks.map((track) => track.playlist);
}
