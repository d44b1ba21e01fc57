import { z } from 'zod';
import type { QueryResult, RecordingFile, RtmpOutputState, UploadingStatus, WebRecorderState } from './types.js';

/**
 * Lenient readers of Agora's response bodies (docs/architecture.md, "Conventions"): numbers may come as strings, uids as
 * numbers, `sliceStartTime` in seconds or milliseconds, and unknown fields are kept in `raw`.
 */

/** A number, or a string of one: Agora's answers spell numbers either way. */
export const looseNumber = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);
const looseString = z.union([z.string(), z.number().transform(String)]);
const looseBoolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

/** Times before 5138 AD in seconds are below 10^11; anything at or above is milliseconds. */
export function toMilliseconds(value: number): number {
  return value < 1e11 ? value * 1000 : value;
}
const timestamp = looseNumber.transform(toMilliseconds);

/** `{message}` from the gateway or `{code, reason}` from the service (docs/agora.md, "Errors and retries"). */
export const ErrorBody = z.object({
  code: looseNumber.optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  /** Speech-to-Text: `{reason, detail}`, or query's `{message, agent_id, …}`. */
  detail: z.string().optional(),
  agent_id: z.string().optional(),
});

export const AcquireBody = z.object({ resourceId: z.string().min(1), cname: looseString, uid: looseString });

export const StartBody = z.object({
  resourceId: z.string().min(1),
  sid: z.string().min(1),
  cname: looseString,
  uid: looseString,
});

export const UpdateBody = z.object({ resourceId: z.string().min(1), sid: z.string().min(1) });

const TrackType = z.enum(['audio', 'video', 'audio_and_video']);

const FileEntry = z.object({
  fileName: z.string().optional(),
  /** Web mode spells it in lowercase. */
  filename: z.string().optional(),
  trackType: TrackType.optional().catch(undefined),
  uid: looseString.optional(),
  mixedAllUser: looseBoolean.optional(),
  isPlayable: looseBoolean.optional(),
  sliceStartTime: timestamp.optional(),
});

function toFile(entry: z.infer<typeof FileEntry>): RecordingFile | undefined {
  const fileName = entry.fileName ?? entry.filename;
  if (fileName === undefined) return undefined;
  return {
    fileName,
    trackType: entry.trackType,
    uid: entry.uid,
    mixedAllUser: entry.mixedAllUser,
    isPlayable: entry.isPlayable,
    sliceStartTime: entry.sliceStartTime,
  };
}

const FileList = z.union([z.string(), z.array(FileEntry)]);

function toFiles(fileList: z.infer<typeof FileList> | undefined): RecordingFile[] {
  if (fileList === undefined) return [];
  // fileListMode "string": the whole list is one playlist name.
  if (typeof fileList === 'string') return fileList === '' ? [] : [{ fileName: fileList }];
  return fileList.map(toFile).filter((file): file is RecordingFile => file !== undefined);
}

const ExtensionService = z.object({ serviceName: z.string(), payload: z.unknown() });

const WebRecorderPayload = z.object({
  fileList: z.array(FileEntry).optional(),
  onhold: looseBoolean.optional(),
  state: z.enum(['init', 'inProgress', 'exit']).optional().catch(undefined),
});
const RtmpPayload = z.object({
  outputs: z.array(z.object({ rtmpUrl: z.string(), status: z.string() })).optional(),
});
const UploadPayload = z.object({ uploadingStatus: z.string().optional() });

const ServerResponse = z.object({
  status: looseNumber.optional(),
  fileListMode: z.enum(['string', 'json']).optional().catch(undefined),
  fileList: FileList.optional(),
  sliceStartTime: timestamp.optional(),
  uploadingStatus: z.string().optional(),
  extensionServiceState: z.array(ExtensionService).optional(),
});

export const SessionBody = z.object({
  resourceId: z.string().min(1),
  sid: z.string().min(1),
  cname: looseString.optional(),
  uid: looseString.optional(),
  serverResponse: ServerResponse.optional(),
});

function normaliseUploadingStatus(value: string | undefined): UploadingStatus | undefined {
  if (value === undefined) return undefined;
  if (value === 'uploaded' || value === 'backuped') return value;
  // Older docs spell it "unknow"; whichever Agora sends, it means the same.
  return 'unknown';
}

interface Extensions {
  files: RecordingFile[];
  web: WebRecorderState | undefined;
  rtmp: RtmpOutputState[] | undefined;
  uploadingStatus: string | undefined;
}

/** Reads web mode's `extensionServiceState` list (docs/agora.md, "Query answers and status" / "Stop answers" and "Files"). */
function readExtensions(services: z.infer<typeof ExtensionService>[] | undefined): Extensions {
  const result: Extensions = { files: [], web: undefined, rtmp: undefined, uploadingStatus: undefined };
  for (const service of services ?? []) {
    if (service.serviceName === 'web_recorder_service') {
      const payload = WebRecorderPayload.safeParse(service.payload);
      if (!payload.success) continue;
      result.files = toFiles(payload.data.fileList);
      result.web = { state: payload.data.state, onhold: payload.data.onhold };
    } else if (service.serviceName === 'rtmp_publish_service') {
      const payload = RtmpPayload.safeParse(service.payload);
      if (payload.success) result.rtmp = payload.data.outputs ?? [];
    } else if (service.serviceName === 'upload_service') {
      const payload = UploadPayload.safeParse(service.payload);
      if (payload.success) result.uploadingStatus = payload.data.uploadingStatus;
    }
  }
  return result;
}

/** Shapes a parsed query body the same way whatever the mode. */
export function normaliseQuery(body: z.infer<typeof SessionBody>, fallback: { cname: string; uid: string }, raw: unknown): QueryResult {
  const response = body.serverResponse ?? {};
  const extensions = readExtensions(response.extensionServiceState);
  const files = response.extensionServiceState ? extensions.files : toFiles(response.fileList);
  return {
    resourceId: body.resourceId,
    sid: body.sid,
    cname: body.cname ?? fallback.cname,
    uid: body.uid ?? fallback.uid,
    status: response.status ?? 0,
    fileListMode: response.fileListMode,
    files,
    sliceStartTime: response.sliceStartTime,
    web: extensions.web,
    rtmp: extensions.rtmp,
    raw,
  };
}

/** Shapes a parsed stop body: files and upload status, from whichever block carries them. */
export function normaliseStop(body: z.infer<typeof SessionBody>) {
  const response = body.serverResponse ?? {};
  const extensions = readExtensions(response.extensionServiceState);
  return {
    files: response.extensionServiceState ? extensions.files : toFiles(response.fileList),
    fileListMode: response.fileListMode,
    uploadingStatus: normaliseUploadingStatus(response.uploadingStatus ?? extensions.uploadingStatus),
  };
}

/** Reads a file list from any Agora payload (query, stop, webhook): entries that are not files are skipped. */
export function readFileList(value: unknown): RecordingFile[] {
  const parsed = FileList.safeParse(value);
  return parsed.success ? toFiles(parsed.data) : [];
}
