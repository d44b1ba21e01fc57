/**
 * Error codes that clients may branch on, carried in `error.data.appCode`. tRPC's own code
 * (`error.data.code`) says the class of failure; this says which one.
 */
export const AppErrorCode = {
  /** Input failed validation; `error.data.issues` lists each field and rule. */
  VALIDATION: 'VALIDATION',
  /** Agora's token builder refused our App ID or certificate (it returns an empty string). */
  TOKEN_BUILD_FAILED: 'TOKEN_BUILD_FAILED',
  /** Agora answered with an error; `error.data.agora` carries its code and reason. */
  AGORA_API: 'AGORA_API',
  /** Agora could not be reached or did not answer in time. */
  AGORA_UNAVAILABLE: 'AGORA_UNAVAILABLE',
  /** The recording does not exist (or is not yours). */
  RECORDING_NOT_FOUND: 'RECORDING_NOT_FOUND',
  /** The transcription does not exist (or is not yours). */
  TRANSCRIPTION_NOT_FOUND: 'TRANSCRIPTION_NOT_FOUND',
  /** The transcription has ended; it cannot be changed any more. */
  TRANSCRIPTION_ENDED: 'TRANSCRIPTION_ENDED',
  /** The agent does not exist (or is not yours). */
  AGENT_NOT_FOUND: 'AGENT_NOT_FOUND',
  /** The agent has ended (or is not running yet); it cannot be changed or spoken to. */
  AGENT_ENDED: 'AGENT_ENDED',
  /** The recorder uid is taken by an active recording of the channel. */
  UID_CONFLICT: 'UID_CONFLICT',
  /** The ban rule does not exist, has ended, or is not one this caller may see. */
  BAN_NOT_FOUND: 'BAN_NOT_FOUND',
  /** A kick of a uid that is not in the channel: nothing was done and no ban made (channel.ban bans someone absent). */
  USER_NOT_IN_CHANNEL: 'USER_NOT_IN_CHANNEL',
  /** The call does not fit the recording (e.g. updateLayout on an individual recording). */
  RECORDING_MODE_MISMATCH: 'RECORDING_MODE_MISMATCH',
  /** The recording has ended; it cannot be changed any more. */
  RECORDING_ENDED: 'RECORDING_ENDED',
  /** No credentials, or credentials that do not check out. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** The caller lacks the scope or the channel. */
  FORBIDDEN: 'FORBIDDEN',
  /** A file link whose signature does not match its path and expiry, or that has expired. */
  LINK_REFUSED: 'LINK_REFUSED',
  /** A byte range past the end of a file (HTTP 416; Content-Range then gives the file's size). */
  RANGE_NOT_SATISFIABLE: 'RANGE_NOT_SATISFIABLE',
  /** Too many calls; `error.data.retryAfterSeconds` says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The request itself is malformed: bad JSON, bad superjson framing, nested too deep, a bad URL escape. */
  MALFORMED_REQUEST: 'MALFORMED_REQUEST',
  /** A body was sent with a Content-Type other than application/json. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** The body is larger than BODY_LIMIT_BYTES. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** No such route or procedure. */
  NOT_FOUND: 'NOT_FOUND',
  /** The route exists, but not for this HTTP method. */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** A browser request from an origin that is not allowed, or a Host this server does not answer to. */
  ORIGIN_REFUSED: 'ORIGIN_REFUSED',
  /** The registry's database (or the cluster's coordination through it) is unreachable: try again shortly. */
  REGISTRY_UNAVAILABLE: 'REGISTRY_UNAVAILABLE',
  /** The server is shutting down: try again (another instance, or its successor). */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  INTERNAL: 'INTERNAL',
} as const;
export type AppErrorCode = (typeof AppErrorCode)[keyof typeof AppErrorCode];

/** One failed validation rule, as clients see it in `error.data.issues`. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `uid` or `transcoding.width`; empty for the whole input. */
  path: string;
  message: string;
}

/** What Agora said, as clients see it in `error.data.agora`. */
export interface AgoraErrorInfo {
  httpStatus: number;
  code?: number | undefined;
  reason?: string | undefined;
}
