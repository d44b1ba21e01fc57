import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './test-support.js';

/** What a recording's folder holds, and checks that its objects are the media they claim to be. */
const TS_PACKET = 188;

function isMpegTs(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes.length % TS_PACKET !== 0) return false;
  for (let offset = 0; offset < bytes.length; offset += TS_PACKET) if (bytes[offset] !== 0x47) return false;
  return true;
}
const isMp4 = (bytes: Buffer) => bytes.subarray(4, 8).toString('latin1') === 'ftyp';
const isJpeg = (bytes: Buffer) => bytes[0] === 0xff && bytes[1] === 0xd8 && bytes.at(-2) === 0xff && bytes.at(-1) === 0xd9;

/** ffprobe's streams of a file, or undefined where ffprobe is not installed. */
function probe(path: string): { codec_type: string; codec_name: string }[] | undefined {
  const run = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path], { encoding: 'utf8' });
  if (run.error) return undefined;
  expect(run.status, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { streams: { codec_type: string; codec_name: string }[] }).streams;
}

/** ffprobe's duration of a file, in seconds. */
function duration(path: string): number {
  const run = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  return Number(run.stdout.trim());
}

/** The segment names a playlist lists, in order. */
const segmentsOf = (playlist: string) => playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

describe('recordings are real media', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());
  const folderOf = () => join(h.storageDir, 'bucket1');

  // ffprobe is a process of its own: on a loaded machine it can take seconds.
  it(
    'mix with hls+mp4: a live playlist that grows, then ends; MPEG-TS segments and an MP4 that ffprobe reads',
    { timeout: 60_000 },
    async () => {
      h.publish('room1', '100');
      const { sid, session } = await h.start(
        'mix',
        h.requests.mix('room1', '527841', { recordingFileConfig: { avFileType: ['hls', 'mp4'] } }),
      );
      await h.clock.advance(15_000);
      await h.emulator.control.flushStorage();
      const live = await readFile(join(folderOf(), `${sid}_room1.m3u8`), 'utf8');
      expect(live).not.toContain('#EXT-X-ENDLIST');
      const early = segmentsOf(live);
      expect(early.length).toBeGreaterThan(0);

      await h.clock.advance(20_000);
      await h.call('POST', session('stop'), { cname: 'room1', uid: '527841', clientRequest: {} });
      const playlist = await readFile(join(folderOf(), `${sid}_room1.m3u8`), 'utf8');
      expect(playlist.split('\n').slice(0, 2)).toEqual(['#EXTM3U', '#EXT-X-VERSION:3']);
      expect(playlist.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
      const segments = segmentsOf(playlist);
      expect(segments.length).toBeGreaterThan(early.length);
      expect(segments.slice(0, early.length)).toEqual(early);
      // A discontinuity before every segment but the first: each is the same clip again.
      expect(playlist.match(/#EXT-X-DISCONTINUITY/g)).toHaveLength(segments.length - 1);

      const names = await readdir(folderOf());
      expect(names.filter((name) => name.endsWith('.ts')).sort()).toEqual([...segments].sort());
      for (const segment of segments) expect(isMpegTs(await readFile(join(folderOf(), segment))), segment).toBe(true);
      expect(
        probe(join(folderOf(), segments[0]!))
          ?.map((stream) => stream.codec_name)
          .sort() ?? ['aac', 'h264'],
      ).toEqual(['aac', 'h264']);
      // 35 s recorded: the 16-second clip three times, one fragment each with its own sequence number.
      const mp4 = join(folderOf(), `${sid}_room1_0.mp4`);
      const bytes = await readFile(mp4);
      expect(isMp4(bytes)).toBe(true);
      expect(bytes.toString('latin1').split('moof')).toHaveLength(4);
      expect([1, 2, 3].map((sequence) => bytes.indexOf(Buffer.from([0x6d, 0x66, 0x68, 0x64, 0, 0, 0, 0, 0, 0, 0, sequence])) > 0)).toEqual([
        true,
        true,
        true,
      ]);
      const streams = probe(mp4);
      if (streams) {
        expect(streams.map((stream) => stream.codec_type).sort()).toEqual(['audio', 'video']);
        expect(Math.round(duration(mp4))).toBe(48);
      }
    },
  );

  it('individual: audio and video segments per publisher, and JPEG snapshots', { timeout: 60_000 }, async () => {
    h.publish('room1', '100');
    const { sid, session } = await h.start(
      'individual',
      h.requests.individual('room1', '527841', {}, { snapshotConfig: { captureInterval: 5, fileType: ['jpg'] } }),
    );
    await h.clock.advance(12_000);
    await h.call('POST', session('stop'), { cname: 'room1', uid: '527841', clientRequest: {} });
    const names = await readdir(folderOf());
    const snapshots = names.filter((name) => name.endsWith('.jpg'));
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    for (const name of snapshots) expect(isJpeg(await readFile(join(folderOf(), name))), name).toBe(true);
    for (const track of ['audio', 'video'] as const) {
      const playlist = await readFile(join(folderOf(), `${sid}_room1__uid_s_100__uid_e_${track}.m3u8`), 'utf8');
      const first = segmentsOf(playlist)[0]!;
      expect(isMpegTs(await readFile(join(folderOf(), first)))).toBe(true);
      const streams = probe(join(folderOf(), first));
      if (streams) expect(streams.map((stream) => stream.codec_type)).toEqual([track]);
    }
  });
});
