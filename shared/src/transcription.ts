import { z } from 'zod';
import { ChannelName } from './agora-names.js';
import { StartWarnings } from './warnings.js';
import {
  boundedInt,
  bucketObject,
  DEFAULT_LINK_SECONDS,
  LastError,
  ListCursor,
  MAX_LINK_SECONDS,
  RecorderUid,
  TaskLifeFields,
} from './recording.js';
import { STT_LOCALES } from './stt-locales.js';

const SUPPORTED_LOCALES = new Set(STT_LOCALES);

/**
 * Contracts of the `transcription.*` procedures (Agora Real-Time Speech-to-Text 7.x; docs/agora.md,
 * "Speech-to-Text"). Agora's limits are checked here, before any upstream call.
 */

export const TranscriptionState = z.enum(['starting', 'running', 'stopping', 'stopped', 'failed']);
export type TranscriptionState = z.infer<typeof TranscriptionState>;

/** A locale code from Agora's Speech-to-Text list (STT_LOCALES): `en-US`, `zh-CN`, `ar-SA`. */
export const LanguageCode = z
  .string({ error: 'must be a locale code such as en-US' })
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: 'must be a locale code such as en-US', abort: true })
  .max(20, { error: 'must be a locale code such as en-US', abort: true })
  .refine((code) => SUPPORTED_LOCALES.has(code), {
    error: 'must be a language Agora Speech-to-Text supports, such as en-US, zh-CN or es-ES (docs/agora.md lists them)',
  });

const Languages = z
  .array(LanguageCode, { error: 'must be a list of locale codes' })
  .min(1, { error: 'must name at least one language' })
  .max(4, { error: 'holds at most 4 languages (Agora’s limit)' })
  .refine((list) => new Set(list).size === list.length, { error: 'must not repeat a language' });

/** What to translate into: for each spoken language, up to 10 target languages. */
export const TranslationPair = z
  .object({
    source: LanguageCode,
    targets: z
      .array(LanguageCode, { error: 'must be a list of locale codes' })
      .min(1, { error: 'must name at least one language' })
      .max(10, { error: 'holds at most 10 languages' }),
  })
  .refine((pair) => !pair.targets.includes(pair.source), { error: 'must not include the source language', path: ['targets'] });
export type TranslationPair = z.infer<typeof TranslationPair>;

const Translate = z
  .array(TranslationPair, { error: 'must be a list of { source, targets }' })
  .max(4, { error: 'holds at most 4 source languages' });

/** Speaker uids whose audio is transcribed (Agora: at most 32). */
const SpeakerUids = z
  .array(RecorderUid, { error: 'must be a list of uids' })
  .min(1, { error: 'must name at least one uid' })
  .max(32, { error: 'holds at most 32 uids' });

export const TranscriptionId = z
  .string({ error: 'must be a transcription id' })
  .min(1, { error: 'must not be empty' })
  .max(64, { error: 'is not a transcription id' });

/** Input of `transcription.start`. */
export const TranscriptionStartInput = z
  .object({
    channel: ChannelName,
    /** The languages spoken in the channel (Agora recognises up to 4). */
    languages: Languages,
    translate: Translate.optional(),
    /** Only these speakers (default: everyone in the channel). */
    subscribeUids: SpeakerUids.optional(),
    /** The bot's uid, which publishes the text stream. Leave it out: the server picks one nobody in the channel uses. */
    uid: RecorderUid.optional(),
    /** Caption files (WebVTT + playlist) in the server's bucket: on unless `false`; sliceSeconds per file. */
    captions: z
      .union([z.literal(false), z.object({ sliceSeconds: boundedInt(5, 28_800, ' seconds').default(60) })])
      .default({ sliceSeconds: 60 }),
    /** Seconds with nobody in the channel before Agora ends the transcription; 0 never (it still ends after 72 h). */
    maxIdleSeconds: boundedInt(0, 259_200, ' seconds').default(30),
  })
  .superRefine((input, ctx) => {
    for (const [index, pair] of (input.translate ?? []).entries()) {
      if (!input.languages.includes(pair.source))
        ctx.addIssue({ code: 'custom', path: ['translate', index, 'source'], message: 'must be one of languages' });
    }
  });
export type TranscriptionStartInput = z.input<typeof TranscriptionStartInput>;
export type ParsedTranscriptionStartInput = z.output<typeof TranscriptionStartInput>;

export const TranscriptionStartOutput = z.object({
  id: z.string(),
  channel: z.string(),
  /** The bot's uid: captions arrive as data-stream messages from it. */
  uid: z.string(),
  agentId: z.string(),
  state: TranscriptionState,
  languages: z.array(z.string()),
  startedAt: z.date(),
  /** What the caller should know, e.g. CHANNEL_EMPTY (nobody publishes yet); empty when nothing. */
  warnings: StartWarnings,
});
export type TranscriptionStartOutput = z.infer<typeof TranscriptionStartOutput>;

export const Transcription = z.object({
  id: z.string(),
  channel: z.string(),
  uid: z.string(),
  owner: z.string(),
  state: TranscriptionState,
  agentId: z.string().nullable(),
  /** Agora's status word (RUNNING, STOPPED…), when known. */
  agoraStatus: z.string().nullable(),
  languages: z.array(z.string()),
  translate: z.array(TranslationPair),
  /** Where caption files go in the bucket (`<prefix>/<file>`), or null when captions are off. */
  captionsPrefix: z.string().nullable(),
  maxIdleSeconds: z.number(),
  ...TaskLifeFields,
});
export type Transcription = z.infer<typeof Transcription>;

export const TranscriptionIdInput = z.object({ id: TranscriptionId });

export const TranscriptionQueryOutput = z.object({
  id: z.string(),
  state: TranscriptionState,
  agoraStatus: z.string().nullable(),
  updatedAt: z.date(),
  /** The last error; on a failed transcription, why it failed. */
  lastError: LastError,
  /** Agora's query body as received, or null when Agora was not asked (the transcription had ended). */
  raw: z.unknown(),
});
export type TranscriptionQueryOutput = z.infer<typeof TranscriptionQueryOutput>;

export const TranscriptionStopOutput = z.object({
  id: z.string(),
  /**
   * `stopped` once Agora confirmed it; `stopping` while it cannot yet (the server keeps at it,
   * watch reports the end); `failed` when it had already ended in a failure (`lastError` says why).
   */
  state: z.enum(['stopped', 'stopping', 'failed']),
  /** True when it had already ended (idle exit, an earlier stop, a failure) before this stop. */
  alreadyStopped: z.boolean(),
  /** On a failed transcription, why it failed. */
  lastError: LastError,
});
export type TranscriptionStopOutput = z.infer<typeof TranscriptionStopOutput>;

/** The changes `transcription.update` takes. */
export const TranscriptionUpdateChanges = z
  .object({
    languages: Languages.optional(),
    /** New translation pairs, or `[]` to turn translation off. */
    translate: Translate.optional(),
    subscribeUids: SpeakerUids.optional(),
    /** true: transcribe everyone again. */
    subscribeAll: z.literal(true).optional(),
  })
  .meta({ minProperties: 1, description: 'at least one change: languages, translate, subscribeUids or subscribeAll' });

export const TranscriptionUpdateInput = TranscriptionUpdateChanges.extend({ id: TranscriptionId }).superRefine((input, ctx) => {
  if ([input.languages, input.translate, input.subscribeUids, input.subscribeAll].every((value) => value === undefined)) {
    ctx.addIssue({ code: 'custom', path: [], message: 'give at least one change: languages, translate, subscribeUids or subscribeAll' });
  }
  if (input.subscribeUids && input.subscribeAll)
    ctx.addIssue({ code: 'custom', path: ['subscribeAll'], message: 'cannot be used together with subscribeUids' });
});
export type TranscriptionUpdateInput = z.input<typeof TranscriptionUpdateInput>;

export const TranscriptionUpdateOutput = z.object({ id: z.string(), updatedAt: z.date() });

export const TranscriptionListInput = z.object({
  channel: ChannelName.optional(),
  state: TranscriptionState.optional(),
  cursor: ListCursor.optional(),
  limit: boundedInt(1, 100).default(20),
});
export type TranscriptionListInput = z.input<typeof TranscriptionListInput>;

export const TranscriptionListOutput = z.object({ items: z.array(Transcription), nextCursor: z.string().nullable() });

export const TranscriptionStatusEvent = z.object({
  id: z.string(),
  state: TranscriptionState,
  agoraStatus: z.string().nullable(),
  at: z.date(),
  source: z.enum(['poll', 'webhook', 'api']),
  /** The transcription's last error at that moment: on a `failed` event, why it failed. */
  lastError: LastError,
});
export type TranscriptionStatusEvent = z.infer<typeof TranscriptionStatusEvent>;

/** A transcription's whole event log from the registry, oldest first, each event with its id (transcription.history). */
export const TranscriptionHistoryOutput = z.object({
  id: z.string(),
  events: z.array(TranscriptionStatusEvent.extend({ eventId: z.string() })),
});
export type TranscriptionHistoryOutput = z.infer<typeof TranscriptionHistoryOutput>;

export const TranscriptionWatchInput = z.object({
  id: TranscriptionId,
  lastEventId: z.string().regex(/^\d+$/, { error: 'must be an event id from an earlier event' }).nullish(),
});
export type TranscriptionWatchInput = z.input<typeof TranscriptionWatchInput>;

export const TranscriptionFilesInput = z.object({
  id: TranscriptionId,
  expiresInSeconds: boundedInt(1, MAX_LINK_SECONDS, ' seconds').default(DEFAULT_LINK_SECONDS),
});
export type TranscriptionFilesInput = z.input<typeof TranscriptionFilesInput>;

/** One caption object in the bucket, with a link to read it. */
export const CaptionObject = bucketObject({
  /** `playlist`: an HLS subtitle playlist; `captions`: one WebVTT slice. */
  kind: z.enum(['playlist', 'captions', 'other']),
  /** The translation's language, or null for the transcription itself. */
  language: z.string().nullable(),
});
export type CaptionObject = z.infer<typeof CaptionObject>;

export const TranscriptionFilesOutput = z.object({
  id: z.string(),
  files: z.array(CaptionObject),
  /** Why no files could be listed (captions off, or a bucket this server cannot list), else null. */
  unavailableReason: z.string().nullable(),
});
export type TranscriptionFilesOutput = z.infer<typeof TranscriptionFilesOutput>;
