import type { RecordingFile as SharedRecordingFile, RecordingMode, UploadingStatus } from '@agora-backend/shared';
/**
 * Request and result types of Agora's Cloud Recording REST API (docs/agora.md, "Endpoints" / "Stop answers" and "Files"), as this client
 * sends and returns them. Field names are Agora's, so the bodies go on the wire unchanged.
 * @see https://docs.agora.io/en/cloud-recording/reference/rest-api/start
 */

export type { RecordingMode };

/** Where files go. Vendor and region numbers per docs/agora.md, "Storage". */
export interface StorageConfig {
  vendor: number;
  region: number;
  bucket: string;
  accessKey: string;
  secretKey: string;
  stsToken?: string;
  stsExpiration?: number;
  /** Path segments (letters and digits only), joined with `/`. */
  fileNamePrefix?: string[];
  extensionParams?: { sse?: 'kms' | 'aes256'; tag?: string; endpoint?: string };
}

export interface TranscodingLayoutRegion {
  uid?: string;
  x_axis: number;
  y_axis: number;
  width: number;
  height: number;
  alpha?: number;
  render_mode?: 0 | 1;
}

export interface LayoutConfig {
  mixedVideoLayout?: 0 | 1 | 2 | 3;
  maxResolutionUid?: string;
  backgroundColor?: string;
  backgroundImage?: string;
  defaultUserBackgroundImage?: string;
  layoutConfig?: TranscodingLayoutRegion[];
  backgroundConfig?: { uid: string; image_url: string; render_mode?: 0 | 1 }[];
}

export interface TranscodingConfig extends LayoutConfig {
  width: number;
  height: number;
  fps: number;
  bitrate: number;
}

interface SubscriptionLists {
  subscribeAudioUids?: string[];
  unSubscribeAudioUids?: string[];
  subscribeVideoUids?: string[];
  unSubscribeVideoUids?: string[];
}

interface CommonRecordingConfig extends SubscriptionLists {
  channelType?: 0 | 1;
  streamTypes?: 0 | 1 | 2;
  maxIdleTime?: number;
  videoStreamType?: 0 | 1;
  decryptionMode?: number;
  secret?: string;
  salt?: string;
}

export interface IndividualRecordingConfig extends CommonRecordingConfig {
  /** Required in individual mode: the expected peak of subscribed uids (0..5). */
  subscribeUidGroup: 0 | 1 | 2 | 3 | 4 | 5;
  streamMode?: 'default' | 'standard' | 'original';
}

export interface MixRecordingConfig extends CommonRecordingConfig {
  audioProfile?: 0 | 1 | 2;
  transcodingConfig?: TranscodingConfig;
}

export interface RecordingFileConfig {
  /** `["hls"]` or `["hls","mp4"]`; mp4 alone is refused by Agora. */
  avFileType: ('hls' | 'mp4')[];
}

export interface WebRecorderServiceParam {
  url: string;
  audioProfile: 0 | 1 | 2;
  videoWidth: number;
  videoHeight: number;
  maxRecordingHour: number;
  videoBitrate?: number;
  videoFps?: number;
  mobile?: boolean;
  maxVideoDuration?: number;
  onhold?: boolean;
  readyTimeout?: number;
}

export interface ExtensionServiceConfig {
  errorHandlePolicy?: 'error_abort';
  extensionServices: (
    | { serviceName: 'web_recorder_service'; errorHandlePolicy?: 'error_abort'; serviceParam: WebRecorderServiceParam }
    | { serviceName: 'rtmp_publish_service'; errorHandlePolicy?: 'error_ignore'; serviceParam: { outputs: { rtmpUrl: string }[] } }
  )[];
}

export interface IndividualStartRequest {
  token?: string;
  storageConfig: StorageConfig;
  recordingConfig: IndividualRecordingConfig;
  /** Omit for a screenshot-only recording. */
  recordingFileConfig?: RecordingFileConfig;
  snapshotConfig?: { captureInterval?: number; fileType: ['jpg'] };
}

export interface MixStartRequest {
  token?: string;
  storageConfig: StorageConfig;
  recordingConfig: MixRecordingConfig;
  recordingFileConfig: RecordingFileConfig;
}

export interface WebStartRequest {
  storageConfig: StorageConfig;
  extensionServiceConfig: ExtensionServiceConfig;
  recordingFileConfig?: RecordingFileConfig;
}

/** A start call, typed per mode: the mode decides which blocks the body must have. */
export type StartParams = { resourceId: string; cname: string; uid: string } & (
  | { mode: 'individual'; clientRequest: IndividualStartRequest }
  | { mode: 'mix'; clientRequest: MixStartRequest }
  | { mode: 'web'; clientRequest: WebStartRequest }
);

export interface AcquireParams {
  cname: string;
  /** The recorder's uid: a string of an integer 1..2^32−1. */
  uid: string;
  clientRequest?: {
    /** 0 real-time (individual/mix), 1 web. */
    scene?: 0 | 1 | 2;
    resourceExpiredHour?: number;
    excludeResourceIds?: string[];
    region?: 'CN' | 'AP' | 'EU' | 'NA';
    startParameter?: object;
  };
}

/** Identifies a running recording for query/update/updateLayout/stop. */
export interface SessionParams {
  resourceId: string;
  sid: string;
  mode: RecordingMode;
  cname: string;
  uid: string;
}

export interface UpdateParams extends SessionParams {
  clientRequest: {
    streamSubscribe?: {
      audioUidList?: { subscribeAudioUids?: string[]; unSubscribeAudioUids?: string[] };
      videoUidList?: { subscribeVideoUids?: string[]; unSubscribeVideoUids?: string[] };
    };
    webRecordingConfig?: { onhold: boolean };
    rtmpPublishConfig?: { outputs: { rtmpUrl: string }[] };
    storageConfig?: StorageConfig;
  };
}

export interface UpdateLayoutParams extends Omit<SessionParams, 'mode'> {
  clientRequest: LayoutConfig;
}

export interface StopParams extends SessionParams {
  /** true: Agora answers at once instead of after the upload (≤ 20 s). */
  asyncStop?: boolean;
}

/**
 * One recorded file, the same for every mode (web's lowercase `filename` included): the shared
 * RecordingFile with its start time as Agora's Unix milliseconds (normalised from seconds) rather
 * than a Date.
 */
export type RecordingFile = Omit<SharedRecordingFile, 'sliceStartTime'> & {
  sliceStartTime?: number | undefined;
};

export interface AcquireResult {
  resourceId: string;
  cname: string;
  uid: string;
  raw: unknown;
}

export interface StartResult {
  resourceId: string;
  sid: string;
  cname: string;
  uid: string;
  raw: unknown;
}

export type { UploadingStatus };

export interface WebRecorderState {
  state?: 'init' | 'inProgress' | 'exit' | undefined;
  onhold?: boolean | undefined;
}

export interface RtmpOutputState {
  rtmpUrl: string;
  status: string;
}

export interface QueryResult {
  resourceId: string;
  sid: string;
  cname: string;
  uid: string;
  /** serverResponse.status: 0..8 or 20 (docs/agora.md, "Query answers and status"). */
  status: number;
  /** `string` (mix, HLS only: one playlist name) or `json`; absent for web and screenshots. */
  fileListMode?: 'string' | 'json' | undefined;
  files: RecordingFile[];
  /** Unix ms of the first slice, when Agora says. */
  sliceStartTime?: number | undefined;
  web?: WebRecorderState | undefined;
  rtmp?: RtmpOutputState[] | undefined;
  raw: unknown;
}

export type StopResult =
  | {
      alreadyStopped: false;
      resourceId: string;
      sid: string;
      files: RecordingFile[];
      fileListMode?: 'string' | 'json' | undefined;
      uploadingStatus?: UploadingStatus | undefined;
      /** 206 + 435: nobody published, so there are no files. Not a failure. */
      noRecordedData: boolean;
      /** Code 50: the upload outlasted the synchronous stop; files are still on their way. */
      uploadTimedOut: boolean;
      raw: unknown;
    }
  | {
      /** Agora had already ended the task (404) or was ending it (code 49). */
      alreadyStopped: true;
      httpStatus: number;
      code: number | undefined;
      reason: string | undefined;
    };

export interface UpdateResult {
  resourceId: string;
  sid: string;
  raw: unknown;
}
