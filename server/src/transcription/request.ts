import type { ParsedTranscriptionStartInput } from '@agora-backend/shared';
import type { JoinParams, StorageConfig } from '../agora/index.js';

/**
 * What Agora's join is sent for a transcription (docs/agora.md, "Speech-to-Text"): our id as the
 * task's `name` (Agora runs at most one task per channel per name, so a repeated join cannot
 * start a second agent), the bot's uid and token, and the server's own storage for captions.
 */
export function buildJoinParams(options: {
  id: string;
  input: ParsedTranscriptionStartInput;
  uid: string;
  token: string;
  storage: StorageConfig;
  captionsPrefix: string | null;
}): JoinParams {
  const { input, storage } = options;
  const captions = input.captions;
  return {
    name: options.id,
    languages: input.languages,
    maxIdleTime: input.maxIdleSeconds,
    rtcConfig: {
      channelName: input.channel,
      pubBotUid: options.uid,
      ...(options.token ? { pubBotToken: options.token } : {}),
      ...(input.subscribeUids ? { subscribeAudioUids: input.subscribeUids } : {}),
    },
    ...(input.translate && input.translate.length > 0
      ? { translateConfig: { languages: input.translate.map((pair) => ({ source: pair.source, target: pair.targets })) } }
      : {}),
    ...(captions && options.captionsPrefix
      ? {
          captionConfig: {
            sliceDuration: captions.sliceSeconds,
            storage: {
              vendor: storage.vendor,
              region: storage.region,
              bucket: storage.bucket,
              accessKey: storage.accessKey,
              secretKey: storage.secretKey,
              fileNamePrefix: options.captionsPrefix.split('/'),
            },
          },
        }
      : {}),
    // S3-compatible storage (vendor 11) names its endpoint here.
    ...(captions && storage.vendor === 11 && storage.extensionParams?.endpoint
      ? { extensionParams: { endpoint: storage.extensionParams.endpoint } }
      : {}),
  };
}
