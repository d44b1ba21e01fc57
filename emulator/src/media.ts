import { fileURLToPath } from 'node:url';

/**
 * The media the emulator copies into recordings: a test pattern (colour bars and a 1 kHz tone)
 * made once by `scripts/make-media.sh` and committed under `media/`. Nothing is encoded at run
 * time: a recording of any length repeats the same segment, and its MP4 the same fragment.
 */
const mediaFile = (name: string) => fileURLToPath(new URL(`../media/${name}`, import.meta.url));

/** How long one pre-made segment plays. */
export const MEDIA_SEGMENT_SECONDS = 10;
/** How long the MP4 clip plays; an MP4 repeats it to the recording's length (mp4.ts). */
export const MEDIA_MP4_SECONDS = 16;

export const MEDIA = {
  /** MPEG-TS segments by Agora's trackType. */
  segment: {
    audio: mediaFile('segment-audio.ts'),
    video: mediaFile('segment-video.ts'),
    audio_and_video: mediaFile('segment-audio-video.ts'),
  },
  /** Fragmented: one moof + mdat of MEDIA_MP4_SECONDS. */
  mp4: mediaFile('recording.mp4'),
  snapshot: mediaFile('snapshot.jpg'),
} as const;
