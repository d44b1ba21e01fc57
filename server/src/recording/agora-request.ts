import type { ParsedRecordingStartInput } from '@agora-backend/shared';
import type { LayoutConfig, StartParams, StorageConfig } from '../agora/index.js';

/** Our layout names → Agora's mixedVideoLayout numbers (docs/agora.md, "Endpoints"). */
const LAYOUT_NUMBER = { floating: 0, adaptive: 1, vertical: 2, custom: 3 } as const;
const STREAM_TYPES = { audio: 0, video: 1, audio_and_video: 2 } as const;

type ParsedLayout = NonNullable<ParsedRecordingStartInput['layout']>;

/** The caller's layout in Agora's field names (transcodingConfig and updateLayout share them). */
export function toAgoraLayout(layout: ParsedLayout): LayoutConfig {
  return {
    mixedVideoLayout: LAYOUT_NUMBER[layout.layout],
    ...(layout.maxResolutionUid !== undefined ? { maxResolutionUid: layout.maxResolutionUid } : {}),
    ...(layout.backgroundColor !== undefined ? { backgroundColor: layout.backgroundColor } : {}),
    ...(layout.backgroundImage !== undefined ? { backgroundImage: layout.backgroundImage } : {}),
    ...(layout.defaultUserBackgroundImage !== undefined ? { defaultUserBackgroundImage: layout.defaultUserBackgroundImage } : {}),
    ...(layout.regions
      ? {
          layoutConfig: layout.regions.map((region) => ({
            ...(region.uid !== undefined ? { uid: region.uid } : {}),
            x_axis: region.x,
            y_axis: region.y,
            width: region.width,
            height: region.height,
            ...(region.alpha !== undefined ? { alpha: region.alpha } : {}),
            ...(region.renderMode !== undefined ? { render_mode: region.renderMode === 'fit' ? 1 : 0 } : {}),
          })),
        }
      : {}),
  };
}

function subscriptions(input: ParsedRecordingStartInput) {
  return {
    ...(input.subscribeAudioUids ? { subscribeAudioUids: input.subscribeAudioUids } : {}),
    ...(input.unsubscribeAudioUids ? { unSubscribeAudioUids: input.unsubscribeAudioUids } : {}),
    ...(input.subscribeVideoUids ? { subscribeVideoUids: input.subscribeVideoUids } : {}),
    ...(input.unsubscribeVideoUids ? { unSubscribeVideoUids: input.unsubscribeVideoUids } : {}),
  };
}

/**
 * Builds Agora's start call from a validated `recording.start` input, the server's storage and
 * the recorder's token. Storage credentials come from server configuration only.
 * @see https://docs.agora.io/en/cloud-recording/reference/rest-api/start
 */
export function buildStartParams(options: {
  input: ParsedRecordingStartInput;
  resourceId: string;
  uid: string;
  token: string;
  storage: StorageConfig;
  maxDurationSeconds: number;
}): StartParams {
  const { input, resourceId, uid, token, storage } = options;
  const identity = { resourceId, cname: input.channel, uid };
  const common = {
    channelType: input.channelType === 'live' ? (1 as const) : (0 as const),
    streamTypes: STREAM_TYPES[input.streamTypes],
    maxIdleTime: input.maxIdleSeconds,
    ...subscriptions(input),
  };
  switch (input.mode) {
    case 'individual':
      return {
        ...identity,
        mode: 'individual',
        clientRequest: {
          token,
          storageConfig: storage,
          // subscribeUidGroup is required in individual mode; 2 covers 8–12 publishers.
          recordingConfig: { ...common, subscribeUidGroup: (input.subscribeUidGroup ?? 2) as 0 | 1 | 2 | 3 | 4 | 5 },
          // Screenshot-only recordings leave recordingFileConfig out (Agora's rule).
          ...(input.snapshots?.only ? {} : { recordingFileConfig: { avFileType: ['hls'] as ['hls'] } }),
          ...(input.snapshots
            ? { snapshotConfig: { captureInterval: input.snapshots.intervalSeconds, fileType: ['jpg'] as ['jpg'] } }
            : {}),
        },
      };
    case 'mix':
      return {
        ...identity,
        mode: 'mix',
        clientRequest: {
          token,
          storageConfig: storage,
          recordingConfig: {
            ...common,
            ...(input.transcoding || input.layout
              ? {
                  transcodingConfig: {
                    width: input.transcoding?.width ?? 640,
                    height: input.transcoding?.height ?? 360,
                    fps: input.transcoding?.fps ?? 15,
                    bitrate: input.transcoding?.bitrate ?? 500,
                    ...(input.layout ? toAgoraLayout(input.layout) : {}),
                  },
                }
              : {}),
          },
          recordingFileConfig: { avFileType: input.fileTypes },
        },
      };
    case 'web':
      return {
        ...identity,
        mode: 'web',
        clientRequest: {
          storageConfig: storage,
          extensionServiceConfig: {
            errorHandlePolicy: 'error_abort',
            extensionServices: [
              {
                serviceName: 'web_recorder_service',
                errorHandlePolicy: 'error_abort',
                serviceParam: {
                  url: input.pageUrl ?? '',
                  audioProfile: 0,
                  videoWidth: input.videoWidth ?? 1280,
                  videoHeight: input.videoHeight ?? 720,
                  // Agora bills web recordings until stop; our watchdog stops at maxDuration anyway.
                  maxRecordingHour: Math.min(720, Math.max(1, Math.ceil(options.maxDurationSeconds / 3600))),
                },
              },
            ],
          },
          recordingFileConfig: { avFileType: input.fileTypes },
        },
      };
  }
}
