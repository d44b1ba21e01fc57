import { z } from 'zod';

/**
 * Agora's request rules (README, "What it checks"), field by field from Agora's published
 * OpenAPI description of Cloud Recording. Written from the contract, independently of what any
 * client sends, so end-to-end tests catch a client that drifts from Agora. A failure is Agora's
 * code 2 with a reason naming the field.
 */

const MAX_UID = 2 ** 32 - 1;
const CHANNEL_PATTERN = /^[a-zA-Z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]+$/;

/** The recorder uid: a JSON string of an integer 1..2^32−1 (docs/agora.md, "Identity, uids and resource lifetime"). */
export const RecorderUid = z
  .string({ error: 'uid must be a string' })
  .regex(/^[1-9]\d*$/, { error: 'uid must be a string of an integer from 1 to 4294967295' })
  .refine((uid) => Number(uid) <= MAX_UID, { error: 'uid must be a string of an integer from 1 to 4294967295' });

/** An RTC channel name (individual/mix): < 64 bytes of Agora's characters. */
export function isValidChannelName(cname: string): boolean {
  return Buffer.byteLength(cname) <= 63 && CHANNEL_PATTERN.test(cname);
}

const int = (min: number, max: number) =>
  z
    .number({ error: `must be a number from ${min} to ${max}` })
    .int({ error: `must be a whole number` })
    .min(min, { error: `must be from ${min} to ${max}` })
    .max(max, { error: `must be from ${min} to ${max}` });
const unit = z
  .number({ error: 'must be a number from 0 to 1' })
  .min(0, { error: 'must be from 0 to 1' })
  .max(1, { error: 'must be from 0 to 1' });
const uidList = z
  .array(z.string({ error: 'must be strings' }), { error: 'must be an array of uid strings' })
  .max(32, { error: 'holds at most 32 uids' });

/** Storage vendors and their region ranges (docs/agora.md, "Storage"); legacy vendors 0 and 4 are not accepted. */
const VENDOR_REGIONS: Record<number, [number, number]> = {
  1: [0, 25],
  2: [0, 27],
  3: [0, 19],
  5: [0, 0],
  6: [0, 0],
  7: [0, 15],
  8: [1, 7],
  11: [0, 0],
};

export const StorageConfigRule = z
  .object(
    {
      vendor: z.number({ error: 'must be a number' }),
      region: z.number({ error: 'must be a number' }),
      bucket: z.string().min(1, { error: 'must not be empty' }),
      accessKey: z.string().min(1, { error: 'must not be empty' }),
      secretKey: z.string().min(1, { error: 'must not be empty' }),
      stsToken: z.string().optional(),
      stsExpiration: z
        .number({ error: 'must be a number' })
        .int({ error: 'must be Unix seconds' })
        .positive({ error: 'must be Unix seconds' })
        .optional(),
      fileNamePrefix: z
        .array(z.string().regex(/^[a-zA-Z0-9]+$/, { error: 'segments may contain only letters and digits' }), {
          error: 'must be an array of strings',
        })
        .refine((segments) => segments.join('/').length <= 128, { error: 'must be at most 128 characters including slashes' })
        .optional(),
      extensionParams: z
        .object(
          {
            sse: z.enum(['kms', 'aes256'], { error: "must be 'kms' or 'aes256'" }).optional(),
            tag: z.string({ error: 'must be a string' }).optional(),
            endpoint: z
              .string()
              .regex(/^(https?:\/\/)?[a-zA-Z0-9.-]+(:\d+)?\/?$/, { error: 'must be a host name, optionally with scheme and port' })
              .optional(),
          },
          { error: 'must be an object' },
        )
        .optional(),
    },
    { error: 'storageConfig is required' },
  )
  .superRefine((storage, ctx) => {
    const range = VENDOR_REGIONS[storage.vendor];
    if (!range) {
      ctx.addIssue({ code: 'custom', path: ['vendor'], message: `vendor ${storage.vendor} is not supported` });
      return;
    }
    if (storage.region < range[0] || storage.region > range[1] || !Number.isInteger(storage.region)) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: `must be from ${range[0]} to ${range[1]} for vendor ${storage.vendor}` });
    }
    if (storage.vendor === 11 && !storage.extensionParams?.endpoint) {
      ctx.addIssue({ code: 'custom', path: ['extensionParams', 'endpoint'], message: 'is required for vendor 11' });
    }
    if (storage.stsToken !== undefined && ![1, 2, 3].includes(storage.vendor)) {
      ctx.addIssue({ code: 'custom', path: ['stsToken'], message: 'is only for vendors 1, 2 and 3' });
    }
    if (storage.stsExpiration !== undefined && storage.stsToken === undefined) {
      ctx.addIssue({ code: 'custom', path: ['stsExpiration'], message: 'needs stsToken' });
    }
    // The spec marks sse and tag required, yet S3-compatible storage sends only endpoint: neither is required here.
    if (storage.extensionParams?.sse !== undefined && storage.vendor !== 1) {
      ctx.addIssue({ code: 'custom', path: ['extensionParams', 'sse'], message: 'is only for Amazon S3 (vendor 1)' });
    }
    if (storage.extensionParams?.tag !== undefined && storage.vendor !== 1 && storage.vendor !== 2) {
      ctx.addIssue({ code: 'custom', path: ['extensionParams', 'tag'], message: 'is only for Amazon S3 (1) and Alibaba Cloud (2)' });
    }
  });

const LayoutRegion = z.object({
  uid: z.string().optional(),
  x_axis: unit,
  y_axis: unit,
  width: unit,
  height: unit,
  alpha: unit.optional(),
  render_mode: int(0, 1).optional(),
});

const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'must be #RRGGBB' });

export const LayoutRule = z
  .object({
    mixedVideoLayout: int(0, 3).optional(),
    maxResolutionUid: z.string().optional(),
    backgroundColor: colour.optional(),
    backgroundImage: z.string().optional(),
    defaultUserBackgroundImage: z.string().optional(),
    layoutConfig: z.array(LayoutRegion).max(17, { error: 'holds at most 17 regions' }).optional(),
    backgroundConfig: z.array(z.object({ uid: z.string(), image_url: z.string(), render_mode: int(0, 1).optional() })).optional(),
  })
  .superRefine((layout, ctx) => {
    if (layout.layoutConfig && layout.mixedVideoLayout !== 3) {
      ctx.addIssue({ code: 'custom', path: ['layoutConfig'], message: 'is only allowed with mixedVideoLayout 3' });
    }
    if (layout.mixedVideoLayout === 2 && !layout.maxResolutionUid) {
      ctx.addIssue({ code: 'custom', path: ['maxResolutionUid'], message: 'is required with mixedVideoLayout 2' });
    }
  });

const TranscodingRule = z
  .object({
    width: int(1, 1920).default(360),
    height: int(1, 1920).default(640),
    fps: int(1, 60).default(15),
    bitrate: int(1, 10_000).default(500),
  })
  .and(LayoutRule)
  .refine((t) => t.width * t.height <= 1920 * 1080, { error: 'width × height must not exceed 1920 × 1080' });

/**
 * The block lists, in both spellings: the spec writes `unsubscribe…`, Agora's older pages and its
 * own REST clients `unSubscribe…` (README, "Deviations"). Either is taken; both at once is refused.
 */
const BLOCK_LISTS = {
  unsubscribeAudioUids: uidList.optional(),
  unSubscribeAudioUids: uidList.optional(),
  unsubscribeVideoUids: uidList.optional(),
  unSubscribeVideoUids: uidList.optional(),
};

/** The lists of a recordingConfig or an update's audioUidList/videoUidList, one spelling merged. */
export interface SubscriptionLists {
  subscribeAudioUids?: string[] | undefined;
  subscribeVideoUids?: string[] | undefined;
  unsubscribeAudioUids?: string[] | undefined;
  unSubscribeAudioUids?: string[] | undefined;
  unsubscribeVideoUids?: string[] | undefined;
  unSubscribeVideoUids?: string[] | undefined;
}

export const blockedAudio = (lists: SubscriptionLists) => lists.unsubscribeAudioUids ?? lists.unSubscribeAudioUids;
export const blockedVideo = (lists: SubscriptionLists) => lists.unsubscribeVideoUids ?? lists.unSubscribeVideoUids;

function checkSpellings(lists: SubscriptionLists, ctx: z.core.$RefinementCtx) {
  if (lists.unsubscribeAudioUids && lists.unSubscribeAudioUids) {
    ctx.addIssue({
      code: 'custom',
      path: ['unSubscribeAudioUids'],
      message: 'cannot be set together with unsubscribeAudioUids (one spelling)',
    });
  }
  if (lists.unsubscribeVideoUids && lists.unSubscribeVideoUids) {
    ctx.addIssue({
      code: 'custom',
      path: ['unSubscribeVideoUids'],
      message: 'cannot be set together with unsubscribeVideoUids (one spelling)',
    });
  }
}

const RecordingConfigBase = z.object({
  channelType: int(0, 1).default(0),
  streamTypes: int(0, 2).default(2),
  maxIdleTime: int(5, 2_592_000).default(30),
  videoStreamType: int(0, 1).optional(),
  subscribeAudioUids: uidList.optional(),
  subscribeVideoUids: uidList.optional(),
  ...BLOCK_LISTS,
  decryptionMode: int(0, 8).optional(),
  secret: z.string().optional(),
  salt: z.string().optional(),
});

type RecordingConfigBase = z.infer<typeof RecordingConfigBase>;

function checkAllowOrBlock(lists: SubscriptionLists, ctx: z.core.$RefinementCtx) {
  checkSpellings(lists, ctx);
  if (lists.subscribeAudioUids && blockedAudio(lists)) {
    ctx.addIssue({ code: 'custom', path: ['unsubscribeAudioUids'], message: 'cannot be set together with subscribeAudioUids' });
  }
  if (lists.subscribeVideoUids && blockedVideo(lists)) {
    ctx.addIssue({ code: 'custom', path: ['unsubscribeVideoUids'], message: 'cannot be set together with subscribeVideoUids' });
  }
}

function checkSubscriptions(config: RecordingConfigBase, ctx: z.core.$RefinementCtx) {
  checkAllowOrBlock(config, ctx);
  if (config.streamTypes === 0 && (config.subscribeVideoUids || blockedVideo(config))) {
    ctx.addIssue({ code: 'custom', path: ['subscribeVideoUids'], message: 'video lists need streamTypes 1 or 2' });
  }
  if (config.streamTypes === 1 && (config.subscribeAudioUids || blockedAudio(config))) {
    ctx.addIssue({ code: 'custom', path: ['subscribeAudioUids'], message: 'audio lists need streamTypes 0 or 2' });
  }
  if (config.decryptionMode && config.decryptionMode > 0 && !config.secret) {
    ctx.addIssue({ code: 'custom', path: ['secret'], message: 'is required when decryptionMode is set' });
  }
}

const IndividualRecordingConfig = RecordingConfigBase.extend({
  subscribeUidGroup: int(0, 5).optional(),
  streamMode: z.enum(['default', 'standard', 'original']).optional(),
  transcodingConfig: z.never({ error: 'is only for mix mode' }).optional(),
}).superRefine((config, ctx) => {
  checkSubscriptions(config, ctx);
  if (config.subscribeUidGroup === undefined) {
    ctx.addIssue({ code: 'custom', path: ['subscribeUidGroup'], message: 'is required in individual mode' });
  }
  if (config.streamMode === 'original' && config.streamTypes !== 0) {
    ctx.addIssue({ code: 'custom', path: ['streamMode'], message: "'original' needs streamTypes 0" });
  }
});

const MixRecordingConfig = RecordingConfigBase.extend({
  audioProfile: int(0, 2).optional(),
  transcodingConfig: TranscodingRule.optional(),
}).superRefine(checkSubscriptions);

const AvFileType = z
  .array(z.enum(['hls', 'mp4'], { error: "entries must be 'hls' or 'mp4'" }), { error: 'must be an array' })
  .min(1, { error: 'must not be empty' })
  .refine((types) => types.includes('hls'), { error: "mp4 is only allowed together with hls: use ['hls','mp4']" });

const RecordingFileConfig = z.object({ avFileType: AvFileType.default(['hls']) });

const SnapshotConfig = z.object({
  captureInterval: int(5, 3600).default(10),
  fileType: z.tuple([z.literal('jpg')], { error: "must be ['jpg']" }),
});

const WebRecorderParam = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    audioProfile: int(0, 2),
    videoWidth: int(1, 1920),
    videoHeight: int(1, 1920),
    maxRecordingHour: int(1, 720),
    videoBitrate: int(1, 10_000).optional(),
    videoFps: int(5, 60).optional(),
    mobile: z.boolean().optional(),
    maxVideoDuration: int(30, 240).optional(),
    onhold: z.boolean().optional(),
    readyTimeout: int(0, 60).optional(),
  })
  .refine((p) => p.videoWidth * p.videoHeight <= 1920 * 1080, { error: 'videoWidth × videoHeight must not exceed 1920 × 1080' });

const ExtensionServiceConfig = z
  .object(
    {
      errorHandlePolicy: z.string().optional(),
      extensionServices: z.array(
        z.discriminatedUnion('serviceName', [
          z.object({
            serviceName: z.literal('web_recorder_service'),
            errorHandlePolicy: z.string().optional(),
            serviceParam: WebRecorderParam,
          }),
          z.object({
            serviceName: z.literal('rtmp_publish_service'),
            errorHandlePolicy: z.string().optional(),
            serviceParam: z.object({
              outputs: z
                .array(z.object({ rtmpUrl: z.string().regex(/^rtmps?:\/\//, { error: 'must be an rtmp:// or rtmps:// URL' }) }))
                .length(1, { error: 'takes exactly one output' }),
            }),
          }),
        ]),
      ),
    },
    { error: 'extensionServiceConfig is required in web mode' },
  )
  .refine((config) => config.extensionServices.some((service) => service.serviceName === 'web_recorder_service'), {
    error: 'needs a web_recorder_service',
  });

export const IndividualStart = z
  .object({
    token: z.string().optional(),
    storageConfig: StorageConfigRule,
    recordingConfig: IndividualRecordingConfig,
    recordingFileConfig: RecordingFileConfig.optional(),
    snapshotConfig: SnapshotConfig.optional(),
  })
  .superRefine((request, ctx) => {
    if (!request.recordingFileConfig && !request.snapshotConfig) {
      ctx.addIssue({ code: 'custom', path: ['recordingFileConfig'], message: 'is required unless snapshotConfig is set' });
    }
    if (request.recordingFileConfig?.avFileType.includes('mp4')) {
      ctx.addIssue({ code: 'custom', path: ['recordingFileConfig', 'avFileType'], message: "individual mode records ['hls'] only" });
    }
    if (request.snapshotConfig && request.recordingConfig.streamTypes === 0) {
      ctx.addIssue({ code: 'custom', path: ['snapshotConfig'], message: 'needs streamTypes 1 or 2' });
    }
  });

export const MixStart = z.object({
  token: z.string().optional(),
  storageConfig: StorageConfigRule,
  recordingConfig: MixRecordingConfig.default({ channelType: 0, streamTypes: 2, maxIdleTime: 30 }),
  recordingFileConfig: RecordingFileConfig,
});

export const WebStart = z.object({
  storageConfig: StorageConfigRule,
  extensionServiceConfig: ExtensionServiceConfig,
  recordingFileConfig: RecordingFileConfig.optional(),
});

const AudioUidList = z
  .object(
    { subscribeAudioUids: uidList.optional(), unsubscribeAudioUids: uidList.optional(), unSubscribeAudioUids: uidList.optional() },
    { error: 'must be an object' },
  )
  .superRefine(checkAllowOrBlock);
const VideoUidList = z
  .object(
    { subscribeVideoUids: uidList.optional(), unsubscribeVideoUids: uidList.optional(), unSubscribeVideoUids: uidList.optional() },
    { error: 'must be an object' },
  )
  .superRefine(checkAllowOrBlock);

/** update's clientRequest: new subscriptions (individual/mix), onhold (web), CDN outputs (web), fresh storage credentials. */
export const UpdateRequest = z.object(
  {
    streamSubscribe: z
      .object({ audioUidList: AudioUidList.optional(), videoUidList: VideoUidList.optional() }, { error: 'must be an object' })
      .optional(),
    webRecordingConfig: z.object({ onhold: z.boolean({ error: 'must be a boolean' }) }, { error: 'must be an object' }).optional(),
    rtmpPublishConfig: z
      .object(
        {
          outputs: z
            .array(z.object({ rtmpUrl: z.string().regex(/^rtmps?:\/\//, { error: 'must be an rtmp:// or rtmps:// URL' }) }))
            .max(1, { error: 'takes at most one output' }),
        },
        { error: 'must be an object' },
      )
      .optional(),
    storageConfig: StorageConfigRule.optional(),
  },
  { error: 'clientRequest must be an object' },
);
export type UpdateRequest = z.infer<typeof UpdateRequest>;

/** stop's clientRequest: only async_stop. */
export const StopRequest = z.object(
  { async_stop: z.boolean({ error: 'must be a boolean' }).optional() },
  { error: 'clientRequest must be an object' },
);

/** acquire's clientRequest. startParameter is kept as sent: a bad one fails the start, not the acquire. */
export const AcquireRequest = z.object(
  {
    scene: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'must be 0, 1 or 2' }).default(0),
    resourceExpiredHour: int(1, 720).default(72),
    region: z.enum(['CN', 'AP', 'EU', 'NA'], { error: "must be 'CN', 'AP', 'EU' or 'NA'" }).optional(),
    excludeResourceIds: z.array(z.string({ error: 'must be strings' }), { error: 'must be an array of resourceIds' }).optional(),
    startParameter: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
  },
  { error: 'clientRequest must be an object' },
);

export type IndividualStart = z.infer<typeof IndividualStart>;
export type MixStart = z.infer<typeof MixStart>;
export type WebStart = z.infer<typeof WebStart>;

/** Agora-style reason for the first broken rule: `invalid parameter: recordingConfig.maxIdleTime must be from 5 to 2592000`. */
export function reasonFor(error: z.ZodError, prefix = 'clientRequest'): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid parameter';
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return `invalid parameter: ${path} ${issue.message}`;
}
