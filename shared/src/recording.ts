import { z } from 'zod';
import { ChannelName, MAX_UID } from './agora-names.js';
import { StartWarnings } from './warnings.js';

/**
 * Contracts of the `recording.*` procedures. Rules follow Agora's (docs/agora.md) so bad input
 * is refused before any upstream call, with a message naming the field.
 */

export const RecordingMode = z.enum(['mix', 'individual', 'web'], { error: "must be 'mix', 'individual' or 'web'" });
export type RecordingMode = z.infer<typeof RecordingMode>;

export const RecordingState = z.enum(['starting', 'recording', 'stopping', 'stopped', 'failed']);
export type RecordingState = z.infer<typeof RecordingState>;

/** Longest recording: the recorder's token lasts at most 24 h and cannot be renewed, less a margin. */
export const MAX_RECORDING_SECONDS = 86_400 - 600;

const uidMessage = `must be a whole number from 1 to ${MAX_UID} (as a number or a string of digits)`;

/** The recorder's uid: 1..2^32−1, given as a number or a digit string; always a string to Agora. */
export const RecorderUid = z
  .union([z.number(), z.string()], { error: uidMessage })
  .pipe(
    z.transform((value, ctx): string => {
      const text = typeof value === 'number' ? String(value) : value;
      if (!/^[1-9]\d*$/.test(text) || Number(text) > MAX_UID) {
        ctx.issues.push({ code: 'custom', input: value, message: uidMessage });
        return z.NEVER;
      }
      return text;
    }),
  )
  .meta({
    description: uidMessage,
    anyOf: [
      { type: 'integer', minimum: 1, maximum: MAX_UID },
      { type: 'string', pattern: '^[1-9]\\d{0,9}$' },
    ],
  });

/** A whole number in [min, max], its messages naming the range. */
export const boundedInt = (min: number, max: number, unit = '') =>
  z
    .number({ error: `must be a number from ${min} to ${max}${unit}` })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be from ${min} to ${max}${unit}` })
    .max(max, { error: `must be from ${min} to ${max}${unit}` });

const int = boundedInt;

/** A uid in a subscription list: a digit string, or "#allstream#" for everyone. */
const ListedUid = z.union([
  z.number().int().min(1).max(MAX_UID).transform(String),
  z.string().regex(/^([1-9]\d*|#allstream#)$/, { error: 'uids are digit strings or "#allstream#"' }),
]);
const UidList = z.array(ListedUid, { error: 'must be a list of uids' }).max(32, { error: 'holds at most 32 uids' });

const unit = z
  .number({ error: 'must be a number from 0 to 1' })
  .min(0, { error: 'must be from 0 to 1' })
  .max(1, { error: 'must be from 0 to 1' });
const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, { error: 'must be a colour like #RRGGBB' });
const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

export const LayoutRegion = z.object({
  uid: ListedUid.optional(),
  x: unit,
  y: unit,
  width: unit,
  height: unit,
  alpha: unit.optional(),
  renderMode: z.enum(['crop', 'fit']).optional(),
});

/** The mix layout (Agora's transcodingConfig at start, and updateLayout; docs/agora.md). */
export const MixLayout = z
  .object({
    layout: z
      .enum(['floating', 'adaptive', 'vertical', 'custom'], { error: "must be 'floating', 'adaptive', 'vertical' or 'custom'" })
      .default('floating'),
    maxResolutionUid: ListedUid.optional(),
    backgroundColor: colour.optional(),
    backgroundImage: httpsUrl.optional(),
    defaultUserBackgroundImage: httpsUrl.optional(),
    regions: z.array(LayoutRegion).max(17, { error: 'holds at most 17 regions' }).optional(),
  })
  .superRefine((layout, ctx) => {
    if (layout.regions && layout.layout !== 'custom') {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: "are only used with layout 'custom'" });
    }
    if (layout.layout === 'custom' && !layout.regions) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: "are required with layout 'custom'" });
    }
    if (layout.layout === 'vertical' && layout.maxResolutionUid === undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxResolutionUid'], message: "is required with layout 'vertical'" });
    }
  })
  .meta({
    description: "regions are required with layout 'custom' and only used with it; maxResolutionUid is required with layout 'vertical'",
  });
export type MixLayout = z.input<typeof MixLayout>;

export const Transcoding = z
  .object({
    width: int(16, 1920).default(640),
    height: int(16, 1920).default(360),
    fps: int(1, 30).default(15),
    bitrate: int(1, 10_000, ' kbps').default(500),
  })
  .refine((t) => t.width * t.height <= 1920 * 1080, { error: 'width × height must not exceed 1920 × 1080', path: ['width'] })
  .meta({ description: 'width × height must not exceed 1920 × 1080' });

const FileTypes = z
  .array(z.enum(['hls', 'mp4'], { error: "entries must be 'hls' or 'mp4'" }))
  .refine((types) => types.includes('hls'), { error: "must include 'hls': Agora records MP4 only together with HLS" })
  .refine((types) => new Set(types).size === types.length, { error: 'must not repeat a type' })
  .meta({
    uniqueItems: true,
    contains: { const: 'hls' },
    description: "['hls'] or ['hls', 'mp4']: Agora records MP4 only together with HLS",
  });

/** Input of `recording.start`. The tutorial's body `{ uid, channel }` parses unchanged. */
export const RecordingStartInput = z
  .object({
    channel: ChannelName,
    /** The recorder's uid. Leave it out: the server picks one no recording of the channel uses. */
    uid: RecorderUid.optional(),
    mode: RecordingMode.default('mix'),
    /** Recording length limit; the watchdog stops the recording then. */
    maxDurationSeconds: int(60, MAX_RECORDING_SECONDS, ' seconds').optional(),
    /** individual/mix: seconds with nobody publishing before Agora ends the recording. */
    maxIdleSeconds: int(5, 2_592_000, ' seconds').default(30),
    /** `['hls']` or `['hls', 'mp4']`. Individual mode records HLS only. */
    fileTypes: FileTypes.default(['hls']),
    channelType: z.enum(['communication', 'live']).default('communication'),
    streamTypes: z.enum(['audio', 'video', 'audio_and_video']).default('audio_and_video'),
    subscribeAudioUids: UidList.optional(),
    unsubscribeAudioUids: UidList.optional(),
    subscribeVideoUids: UidList.optional(),
    unsubscribeVideoUids: UidList.optional(),
    /** individual: expected peak of subscribed uids, Agora's subscribeUidGroup (0: 1–2 … 5: 33–49). */
    subscribeUidGroup: int(0, 5).optional(),
    /** individual: a JPEG of each publisher's video every intervalSeconds (Agora's snapshotConfig). */
    snapshots: z
      .object({
        intervalSeconds: int(5, 3600, ' seconds').default(10),
        /** true: snapshots only, no audio or video files (Agora's screenshot-only recording). */
        only: z.boolean().default(false),
      })
      .optional(),
    /** mix: output video. */
    transcoding: Transcoding.optional(),
    /** mix: how videos are arranged. */
    layout: MixLayout.optional(),
    /** web: the page to record. */
    pageUrl: httpsUrl.optional(),
    videoWidth: int(16, 1920).optional(),
    videoHeight: int(16, 1920).optional(),
  })
  .meta({
    description: [
      'Rules between fields, checked before anything is sent to Agora:',
      'a subscribe list and its unsubscribe list are not given together;',
      "video lists need streamTypes 'video' or 'audio_and_video', audio lists 'audio' or 'audio_and_video';",
      'transcoding and layout are for mix mode only; subscribeUidGroup and snapshots for individual mode only;',
      "snapshots need streamTypes 'video' or 'audio_and_video';",
      "individual mode records ['hls'] only; web mode requires pageUrl (and only web takes it), with videoWidth × videoHeight at most 1920 × 1080.",
    ].join(' '),
  })
  .superRefine((input, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (input.subscribeAudioUids && input.unsubscribeAudioUids)
      issue('unsubscribeAudioUids', 'cannot be used together with subscribeAudioUids');
    if (input.subscribeVideoUids && input.unsubscribeVideoUids)
      issue('unsubscribeVideoUids', 'cannot be used together with subscribeVideoUids');
    if (input.streamTypes === 'audio' && (input.subscribeVideoUids || input.unsubscribeVideoUids))
      issue('subscribeVideoUids', "video lists need streamTypes 'video' or 'audio_and_video'");
    if (input.streamTypes === 'video' && (input.subscribeAudioUids || input.unsubscribeAudioUids))
      issue('subscribeAudioUids', "audio lists need streamTypes 'audio' or 'audio_and_video'");
    if (input.mode !== 'mix' && input.transcoding) issue('transcoding', 'is only for mix mode');
    if (input.mode !== 'mix' && input.layout) issue('layout', 'is only for mix mode');
    if (input.mode !== 'individual' && input.subscribeUidGroup !== undefined) issue('subscribeUidGroup', 'is only for individual mode');
    if (input.mode !== 'individual' && input.snapshots) issue('snapshots', 'is only for individual mode');
    if (input.streamTypes === 'audio' && input.snapshots) issue('snapshots', "need streamTypes 'video' or 'audio_and_video'");
    if (input.mode === 'individual' && input.fileTypes.includes('mp4')) issue('fileTypes', "individual mode records ['hls'] only");
    if (input.mode === 'web') {
      if (!input.pageUrl) issue('pageUrl', 'is required in web mode');
      const width = input.videoWidth ?? 1280;
      const height = input.videoHeight ?? 720;
      if (width * height > 1920 * 1080) issue('videoWidth', 'videoWidth × videoHeight must not exceed 1920 × 1080');
    } else if (input.pageUrl) {
      issue('pageUrl', 'is only for web mode');
    }
  });
export type RecordingStartInput = z.input<typeof RecordingStartInput>;
export type ParsedRecordingStartInput = z.output<typeof RecordingStartInput>;

export const RecordingFile = z.object({
  fileName: z.string(),
  trackType: z.enum(['audio', 'video', 'audio_and_video']).optional(),
  uid: z.string().optional(),
  mixedAllUser: z.boolean().optional(),
  isPlayable: z.boolean().optional(),
  /** When the file's first slice starts. */
  sliceStartTime: z.date().optional(),
});
export type RecordingFile = z.infer<typeof RecordingFile>;

export const RecordingStartOutput = z.object({
  id: z.string(),
  channel: z.string(),
  uid: z.string(),
  mode: RecordingMode,
  resourceId: z.string(),
  sid: z.string(),
  state: RecordingState,
  startedAt: z.date(),
  maxDurationSeconds: z.number(),
  /** What the caller should know, e.g. CHANNEL_EMPTY (nobody publishes yet); empty when nothing. */
  warnings: StartWarnings,
});
export type RecordingStartOutput = z.infer<typeof RecordingStartOutput>;

export const RecordingId = z
  .string({ error: 'must be a recording id' })
  .min(1, { error: 'must not be empty' })
  .max(64, { error: 'is not a recording id' });

/** How long a file link lasts by default, and at most (S3's presigned URLs stop at 7 days). */
export const DEFAULT_LINK_SECONDS = 3600;
export const MAX_LINK_SECONDS = 7 * 24 * 3600;

export const RecordingFilesInput = z.object({
  id: RecordingId,
  /** How long each link lasts. */
  expiresInSeconds: int(1, MAX_LINK_SECONDS, ' seconds').default(DEFAULT_LINK_SECONDS),
});
export type RecordingFilesInput = z.input<typeof RecordingFilesInput>;

export const RecordingObjectKind = z.enum(['playlist', 'segment', 'mp4', 'snapshot', 'other']);
export type RecordingObjectKind = z.infer<typeof RecordingObjectKind>;

/** One object of a recording in the bucket, with a link to read it. */
/** What names any task's object in the bucket (a recording's, a transcription's). */
const BucketObjectName = {
  /** Its key in the bucket: `<prefix>/<fileName>`. */
  key: z.string(),
  fileName: z.string(),
};

/** What any task's object in the bucket says of itself and how to read it. */
const BucketObjectLink = {
  /** When its media starts: the time in its name, or (recordings) Agora's sliceStartTime. */
  startedAt: z.date().nullable(),
  /** Bytes, where the bucket was listed. */
  size: z.number().nullable(),
  contentType: z.string(),
  /** A time-limited link to read it, or null (see unavailableReason). */
  url: z.string().nullable(),
  urlExpiresAt: z.date().nullable(),
  /** Why url is null: the storage vendor cannot be linked. */
  unavailableReason: z.string().nullable(),
  /**
   * Playlists: a link through this server that a player can open as is (the segment names in the
   * playlist resolve beside it, each answered or redirected to its own link). Else null.
   */
  playbackUrl: z.string().nullable(),
};

/** A task's object in the bucket: its name, what the kind says of it (`own`), and its link. */
export const bucketObject = <T extends z.ZodRawShape>(own: T) => z.object({ ...BucketObjectName, ...own, ...BucketObjectLink });

export const RecordingObject = bucketObject({
  kind: RecordingObjectKind,
  /** The publisher it holds (individual mode), else null. */
  uid: z.string().nullable(),
  trackType: z.enum(['audio', 'video', 'audio_and_video']).nullable(),
});
export type RecordingObject = z.infer<typeof RecordingObject>;

export const RecordingFilesOutput = z.object({
  id: z.string(),
  /**
   * `bucket`: every object under the recording's prefix (playlists, segments, MP4s, snapshots);
   * `agora`: the bucket could not be listed, so only the files Agora reported (playlists, MP4s).
   */
  source: z.enum(['bucket', 'agora']),
  files: z.array(RecordingObject),
});
export type RecordingFilesOutput = z.infer<typeof RecordingFilesOutput>;

/** `{ id }`, or the tutorial's `{ resourceId, sid }`. */
export const RecordingQueryInput = z.union(
  [z.object({ id: RecordingId }), z.object({ resourceId: z.string().min(1), sid: z.string().min(1) })],
  { error: 'give { id } or { resourceId, sid }' },
);
export type RecordingQueryInput = z.input<typeof RecordingQueryInput>;

export const AgoraErrorData = z.object({ httpStatus: z.number(), code: z.number().optional(), reason: z.string().optional() });

/** What told us why a task failed: Agora's notice, its query answer, its answer to a call of ours, or a rule of ours. */
export const FailureSource = z.enum(['notice', 'query', 'call', 'rule']);

/**
 * The last error a recording or transcription met: our message and, when Agora refused, its words.
 * A failed task's also says why in one stable word (`reason`: `error_52`, `asr`, `exited_abnormally`,
 * …; the label of the failures metric) and what told us (`from`).
 */
export const LastError = z
  .object({ message: z.string(), agora: AgoraErrorData.optional(), reason: z.string().optional(), from: FailureSource.optional() })
  .nullable();

export const RecordingQueryOutput = z.object({
  id: z.string(),
  state: RecordingState,
  /** Agora's serverResponse.status (0..8, 20), when known. */
  agoraStatus: z.number().nullable(),
  files: z.array(RecordingFile),
  updatedAt: z.date(),
  /** The last error; on a failed recording, why it failed. */
  lastError: LastError,
  /** Agora's query body as received. */
  raw: z.unknown(),
});
export type RecordingQueryOutput = z.infer<typeof RecordingQueryOutput>;

/** `{ id }`, or the tutorial's `{ channel, resourceId, sid }` (with its `uid` if it sends one). */
export const RecordingStopInput = z.union(
  [
    z.object({ id: RecordingId }),
    z.object({ uid: RecorderUid.optional(), channel: ChannelName, resourceId: z.string().min(1), sid: z.string().min(1) }),
  ],
  { error: 'give { id } or { channel, resourceId, sid }' },
);
export type RecordingStopInput = z.input<typeof RecordingStopInput>;

export const UploadingStatus = z.enum(['uploaded', 'backuped', 'unknown']);
export type UploadingStatus = z.infer<typeof UploadingStatus>;

export const RecordingStopOutput = z.object({
  id: z.string(),
  /**
   * `stopped` once Agora confirmed the recording is gone; `stopping` while it cannot yet (during
   * Agora's failover a stop answers 404 while the recording goes on): the server keeps trying and
   * `recording.watch` reports the end. `failed` when it had already ended in a failure:
   * `lastError` says why.
   */
  state: z.enum(['stopped', 'stopping', 'failed']),
  files: z.array(RecordingFile),
  uploadingStatus: UploadingStatus.nullable(),
  /** True when Agora had already ended the recording (idle exit, an earlier stop, a failure) before this stop. */
  alreadyStopped: z.boolean(),
  /** On a failed recording, why it failed. */
  lastError: LastError,
});
export type RecordingStopOutput = z.infer<typeof RecordingStopOutput>;

/** What every Agora task (a recording, a transcription) shows of its life, last in its object. */
export const TaskLifeFields = {
  lastError: LastError,
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  updatedAt: z.date(),
  stoppedAt: z.date().nullable(),
};

export const Recording = z.object({
  id: z.string(),
  channel: z.string(),
  uid: z.string(),
  mode: RecordingMode,
  owner: z.string(),
  state: RecordingState,
  resourceId: z.string().nullable(),
  sid: z.string().nullable(),
  agoraStatus: z.number().nullable(),
  files: z.array(RecordingFile),
  uploadingStatus: UploadingStatus.nullable(),
  maxDurationSeconds: z.number(),
  /** Where the files go in the bucket: `<prefix>/<file>`. */
  fileNamePrefix: z.string(),
  ...TaskLifeFields,
});
export type Recording = z.infer<typeof Recording>;

export const RecordingGetInput = z.object({ id: RecordingId });

/** Whether text is a page cursor the server wrote: base64url of `<created ms>:<id>` (store/rows.ts). */
function isListCursor(text: string): boolean {
  try {
    const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
    return /^\d+:.+$/s.test(atob(padded));
  } catch {
    return false;
  }
}

/** A list's page cursor: what an earlier page gave as `nextCursor`, and nothing else (not the first page again). */
export const ListCursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,512}$/, { error: 'must be the nextCursor of an earlier page', abort: true })
  .refine(isListCursor, { error: 'must be the nextCursor of an earlier page' });

export const RecordingListInput = z.object({
  channel: ChannelName.optional(),
  state: RecordingState.optional(),
  /** From the previous page's `nextCursor`. */
  cursor: ListCursor.optional(),
  limit: int(1, 100).default(20),
});
export type RecordingListInput = z.input<typeof RecordingListInput>;

export const RecordingListOutput = z.object({ items: z.array(Recording), nextCursor: z.string().nullable() });

/** The changes `recording.update` takes (the body of PATCH /api/v1/recordings/{id}). */
export const RecordingUpdateChanges = z
  .object({
    subscribeAudioUids: UidList.optional(),
    unsubscribeAudioUids: UidList.optional(),
    subscribeVideoUids: UidList.optional(),
    unsubscribeVideoUids: UidList.optional(),
    /** web: true pauses the page recording, false resumes it. */
    paused: z.boolean().optional(),
  })
  .meta({ minProperties: 1, description: 'at least one change: a subscription list or paused' });

export const RecordingUpdateInput = RecordingUpdateChanges.extend({ id: RecordingId }).superRefine((input, ctx) => {
  const changes = [
    input.subscribeAudioUids,
    input.unsubscribeAudioUids,
    input.subscribeVideoUids,
    input.unsubscribeVideoUids,
    input.paused,
  ];
  if (changes.every((value) => value === undefined)) {
    ctx.addIssue({ code: 'custom', path: [], message: 'give at least one change: a subscription list or paused' });
  }
});
export type RecordingUpdateInput = z.input<typeof RecordingUpdateInput>;

export const RecordingUpdateLayoutInput = z.object({ id: RecordingId, layout: MixLayout });
export type RecordingUpdateLayoutInput = z.input<typeof RecordingUpdateLayoutInput>;

export const RecordingUpdateOutput = z.object({ id: z.string(), updatedAt: z.date() });

/** One status change of a recording, as `recording.watch` streams it. */
export const RecordingStatusEvent = z.object({
  /** The recording's id. */
  id: z.string(),
  state: RecordingState,
  agoraStatus: z.number().nullable(),
  files: z.array(RecordingFile),
  at: z.date(),
  /** What noticed the change: the poller, an Agora webhook, or a call to this API. */
  source: z.enum(['poll', 'webhook', 'api']),
  /** The recording's last error at that moment: on a `failed` event, why it failed. */
  lastError: LastError,
});
export type RecordingStatusEvent = z.infer<typeof RecordingStatusEvent>;

/** A recording's whole event log from the registry, oldest first, each event with its id (recording.history). */
export const RecordingHistoryOutput = z.object({ id: z.string(), events: z.array(RecordingStatusEvent.extend({ eventId: z.string() })) });
export type RecordingHistoryOutput = z.infer<typeof RecordingHistoryOutput>;

export const RecordingWatchInput = z.object({
  id: RecordingId,
  /** Resume after this event (the client links pass it on reconnect). */
  lastEventId: z.string().regex(/^\d+$/, { error: 'must be an event id from an earlier event' }).nullish(),
});
export type RecordingWatchInput = z.input<typeof RecordingWatchInput>;
