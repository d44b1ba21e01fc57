import { z } from 'zod';

/**
 * The rules of Agora's Speech-to-Text 7.x requests (README, "Speech-to-Text"), written from
 * Agora's published OpenAPI description, independently of any client. A failure answers 400 with
 * `{reason, detail}`, the detail naming the field and the rule.
 */

const UID = /^[1-9]\d{0,9}$/;
const uid = z
  .string({ error: 'must be a string of digits' })
  .regex(UID, { error: 'must be a string of an integer from 1 to 4294967295' })
  .refine((value) => Number(value) <= 2 ** 32 - 1, { error: 'must be at most 4294967295' });
const language = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: 'must be a locale code such as en-US' });
const languages = z
  .array(language, { error: 'must be an array of locale codes' })
  .min(1, { error: 'must name at least one language' })
  .max(4, { error: 'holds at most 4 languages' });
const uidList = (max: number) =>
  z
    .array(z.string({ error: 'must be strings' }), { error: 'must be an array of uid strings' })
    .max(max, { error: `holds at most ${max} uids` });

const LanguagePair = z
  .object({
    source: language,
    target: z
      .array(language, { error: 'must be an array of locale codes' })
      .min(1, { error: 'must name at least one language' })
      .max(10, { error: 'holds at most 10 languages' }),
  })
  .refine((pair) => !pair.target.includes(pair.source), { error: 'target must differ from a single source language', path: ['target'] });

/** Storage vendors Speech-to-Text writes captions to. */
const VENDORS = [1, 2, 3, 5, 6, 7, 8, 11];

const UidLanguages = z.object({ uid, languages });

const Storage = z
  .object({
    accesskey: z.string().min(1).optional(),
    secretkey: z.string().min(1).optional(),
    // Agora's own examples spell these in camelCase; the schema in lowercase. Both are accepted.
    accessKey: z.string().min(1).optional(),
    secretKey: z.string().min(1).optional(),
    bucket: z.string({ error: 'is required' }).min(1, { error: 'must not be empty' }),
    vendor: z
      .number({ error: 'is required (a number)' })
      .refine((vendor) => VENDORS.includes(vendor), { error: 'must be one of 1, 2, 3, 5, 6, 7, 8, 11' }),
    region: z.number({ error: 'is required (a number)' }).int({ error: 'must be a whole number' }).min(0, { error: 'must be at least 0' }),
    fileNamePrefix: z
      .array(z.string().regex(/^[a-zA-Z0-9]+$/, { error: 'segments may contain only letters and digits' }), {
        error: 'must be an array of strings',
      })
      .refine((parts) => parts.join('/').length <= 128, { error: 'must be at most 128 characters including slashes' })
      .optional(),
  })
  .superRefine((storage, ctx) => {
    if (!storage.accesskey && !storage.accessKey) ctx.addIssue({ code: 'custom', path: ['accesskey'], message: 'is required' });
    if (!storage.secretkey && !storage.secretKey) ctx.addIssue({ code: 'custom', path: ['secretkey'], message: 'is required' });
  });

/** Storage extras (S3-compatible storage, tags, server-side encryption); the rest passes through. */
const ExtensionParams = z.looseObject(
  {
    endpoint: z
      .string({ error: 'must be a string' })
      .regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/i, { error: 'must be a URL with its scheme' })
      .optional(),
    sse: z.enum(['aes256', 'kms'], { error: 'must be aes256 or kms' }).optional(),
  },
  { error: 'must be an object' },
);

export const JoinRequest = z
  .object({
    name: z
      .string({ error: 'is required (a string)' })
      .min(1, { error: 'must not be empty' })
      .max(64, { error: 'must be at most 64 characters' }),
    languages,
    maxIdleTime: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must be from 0 to 259200' })
      .max(259_200, { error: 'must be from 0 to 259200' })
      .default(30),
    uidLanguagesConfig: z.array(UidLanguages, { error: 'must be an array' }).max(5, { error: 'holds at most 5 items' }).optional(),
    keywords: z
      .array(z.string({ error: 'must be strings' }), { error: 'must be an array of strings' })
      .max(500, { error: 'holds at most 500 words' })
      .optional(),
    rtcConfig: z
      .object(
        {
          channelName: z
            .string({ error: 'is required (a string)' })
            .min(1, { error: 'must not be empty' })
            .max(64, { error: 'must be at most 64 bytes' }),
          pubBotUid: uid,
          pubBotToken: z.string({ error: 'must be a string' }).optional(),
          subBotUid: uid.optional(),
          subBotToken: z.string({ error: 'must be a string' }).optional(),
          subscribeAudioUids: uidList(32).optional(),
          unSubscribeAudioUids: uidList(5).optional(),
          cryptionMode: z.number().int().min(0).max(8, { error: 'must be from 0 to 8' }).optional(),
          secret: z.string().optional(),
          salt: z.string().optional(),
          enableJsonProtocol: z.boolean({ error: 'must be true or false' }).optional(),
        },
        { error: 'is required (an object)' },
      )
      .refine((rtc) => !(rtc.subscribeAudioUids && rtc.unSubscribeAudioUids), {
        error: 'takes subscribeAudioUids or unSubscribeAudioUids, not both',
      })
      .refine((rtc) => rtc.subBotUid === undefined || rtc.subBotUid === rtc.pubBotUid, {
        error: 'subBotUid must equal pubBotUid',
        path: ['subBotUid'],
      })
      .refine((rtc) => !rtc.cryptionMode || rtc.secret, { error: 'secret is required when cryptionMode is not 0', path: ['secret'] })
      // The GCM2 modes (7 and 8) also take a salt: base64 of 32 bytes.
      .refine((rtc) => !(rtc.cryptionMode === 7 || rtc.cryptionMode === 8) || rtc.salt, {
        error: 'is required when cryptionMode is 7 or 8',
        path: ['salt'],
      }),
    translateConfig: z
      .object(
        { languages: z.array(LanguagePair, { error: 'must be an array' }).max(4, { error: 'holds at most 4 source languages' }) },
        { error: 'must be an object' },
      )
      .optional(),
    captionConfig: z
      .object(
        {
          sliceDuration: z
            .number({ error: 'must be a number' })
            .int({ error: 'must be a whole number' })
            .min(5, { error: 'must be from 5 to 28800' })
            .max(28_800, { error: 'must be from 5 to 28800' })
            .default(60),
          storage: Storage,
          // Agora's pages disagree on where it goes: here (its examples, its release notes) or at the top level (its schema).
          extensionParams: ExtensionParams.optional(),
        },
        { error: 'must be an object' },
      )
      .optional(),
    extensionParams: ExtensionParams.optional(),
  })
  .superRefine((join, ctx) => {
    // S3-compatible storage (vendor 11) is reached only through the endpoint it names.
    if (join.captionConfig?.storage.vendor === 11 && !join.extensionParams?.endpoint && !join.captionConfig.extensionParams?.endpoint) {
      ctx.addIssue({
        code: 'custom',
        path: ['extensionParams', 'endpoint'],
        message: 'is required when captionConfig.storage.vendor is 11',
      });
    }
  });
export type JoinRequest = z.infer<typeof JoinRequest>;

export const UpdateRequest = z.object({
  languages: languages.optional(),
  keywords: z.array(z.string()).max(500, { error: 'holds at most 500 words' }).optional(),
  uidLanguagesConfig: z.array(UidLanguages).max(5, { error: 'holds at most 5 items' }).optional(),
  rtcConfig: z.object({ subscribeAudioUids: uidList(32).optional() }, { error: 'must be an object' }).optional(),
  translateConfig: z
    .object(
      {
        enable: z.boolean({ error: 'must be true or false' }).optional(),
        languages: z.array(LanguagePair).max(4, { error: 'holds at most 4 source languages' }).optional(),
      },
      { error: 'must be an object' },
    )
    .optional(),
});
export type UpdateRequest = z.infer<typeof UpdateRequest>;

/** The fields `updateMask` may name. */
export const UPDATE_MASK_FIELDS = new Set([
  'languages',
  'keywords',
  'uidLanguagesConfig',
  'rtcConfig.subscribeAudioUids',
  'translateConfig.enable',
  'translateConfig.languages',
]);

/** The first issue, as `field rule`. */
export function detailFor(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid parameter';
  const path = issue.path.map(String).join('.');
  return path ? `${path} ${issue.message}` : issue.message;
}
