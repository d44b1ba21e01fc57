import { describe, expect, it } from 'vitest';
import { describeObject, mergeFiles, snapshotFile } from './files.js';

const SID = '38f8e3cfdc474cd56fc1ceba380d7e1a';

describe("what a recording's objects are, from Agora's names", () => {
  it.each([
    [
      `${SID}_room_1__uid_s_42__uid_e_audio.m3u8`,
      { kind: 'playlist', uid: '42', trackType: 'audio', startedAt: null, contentType: 'application/vnd.apple.mpegurl' },
    ],
    [
      `${SID}_room_1__uid_s_42__uid_e_video_20261202120005123.ts`,
      { kind: 'segment', uid: '42', trackType: 'video', startedAt: new Date('2026-12-02T12:00:05.123Z'), contentType: 'video/mp2t' },
    ],
    [
      `${SID}_room_1__uid_s_42__uid_e_video_20261202120010000.jpg`,
      { kind: 'snapshot', uid: '42', trackType: 'video', startedAt: new Date('2026-12-02T12:00:10.000Z'), contentType: 'image/jpeg' },
    ],
    [
      `${SID}_room_1_20261202120000000.ts`,
      {
        kind: 'segment',
        uid: null,
        trackType: 'audio_and_video',
        startedAt: new Date('2026-12-02T12:00:00.000Z'),
        contentType: 'video/mp2t',
      },
    ],
    [`${SID}_room_1_0.mp4`, { kind: 'mp4', uid: null, trackType: 'audio_and_video', startedAt: null, contentType: 'video/mp4' }],
    [`${SID}_room_1.aac`, { kind: 'other', uid: null, trackType: null, startedAt: null, contentType: 'application/octet-stream' }],
  ] as const)('%s', (fileName, expected) => {
    expect(describeObject(`recordings/abc/${fileName}`, undefined)).toEqual({ key: `recordings/abc/${fileName}`, fileName, ...expected });
  });

  it("takes a playlist's start and publisher from what Agora reported", () => {
    const reported = { fileName: `${SID}_room.m3u8`, trackType: 'audio_and_video' as const, uid: '0', sliceStartTime: 1_700_000_000_000 };
    expect(describeObject(`recordings/abc/${SID}_room.m3u8`, reported)).toMatchObject({ uid: '0', startedAt: new Date(1_700_000_000_000) });
  });
});

describe('the file list only grows', () => {
  const playlist = { fileName: `${SID}_room__uid_s_42__uid_e_video.m3u8` };
  const snapshot = snapshotFile(`recordings/abc/${SID}_room__uid_s_42__uid_e_video_20261202120010000.jpg`);

  it('reads a snapshot notice into a file of its publisher, without the prefix', () => {
    expect(snapshot).toEqual({
      fileName: `${SID}_room__uid_s_42__uid_e_video_20261202120010000.jpg`,
      trackType: 'video',
      uid: '42',
      mixedAllUser: false,
    });
  });

  it("keeps snapshots when Agora's list (which never has them) replaces the media files", () => {
    const later = { fileName: `${SID}_room__uid_s_43__uid_e_audio.m3u8` };
    expect(mergeFiles([playlist], [snapshot])).toEqual([playlist, snapshot]);
    expect(mergeFiles([playlist, snapshot], [playlist, later])).toEqual([playlist, later, snapshot]);
    expect(mergeFiles([playlist, snapshot], [])).toEqual([playlist, snapshot]);
    expect(mergeFiles([playlist, snapshot], [snapshot])).toEqual([playlist, snapshot]);
  });
});
