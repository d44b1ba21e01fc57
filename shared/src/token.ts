import { z } from 'zod';
import { AGORA_NAME_JSON_PATTERN, ChannelName, isAgoraName, MAX_UID, NumericUid, RtcUserAccount, utf8ByteLength } from './agora-names.js';

/** Longest token lifetime we issue: Agora documents 24 hours as the maximum. */
export const MAX_TOKEN_SECONDS = 86_400;
/** Lifetime when the caller gives none, as in Agora's samples and the tutorial. */
export const DEFAULT_TOKEN_SECONDS = 3_600;

const Seconds = z
  .number({ error: 'must be a number of seconds' })
  .int({ error: 'must be a whole number of seconds' })
  .min(1, { error: `must be from 1 to ${MAX_TOKEN_SECONDS} seconds` })
  .max(MAX_TOKEN_SECONDS, { error: `must be from 1 to ${MAX_TOKEN_SECONDS} seconds` });

/**
 * An RTC uid as callers send it: a number, a digit string (`"20"` is uid 20), or a user account.
 * Digit strings become numbers so that `20` and `"20"` give the same token, as Agora treats them.
 */
export const RtcUid = z
  .union([z.number(), z.string()], { error: 'must be a number or a string' })
  .pipe(
    z.transform((value, ctx): number | string => {
      const fail = (message: string) => {
        ctx.issues.push({ code: 'custom', input: value, message });
        return z.NEVER;
      };
      if (typeof value === 'number') {
        const numeric = NumericUid.safeParse(value);
        return numeric.success ? numeric.data : fail(numeric.error.issues[0]?.message ?? 'is not a valid uid');
      }
      if (/^\d+$/.test(value)) {
        const numeric = Number(value);
        return numeric > MAX_UID ? fail(`a numeric uid must be from 0 to ${MAX_UID}`) : numeric;
      }
      const account = RtcUserAccount.safeParse(value);
      return account.success ? value : fail(`user account ${account.error.issues[0]?.message ?? 'is invalid'}`);
    }),
  )
  .meta({
    description: `a numeric uid 0–${MAX_UID} (a digit string is the same number; 0 lets any uid join), or a user account of 1–255 bytes`,
    anyOf: [
      { type: 'integer', minimum: 0, maximum: MAX_UID },
      { type: 'string', pattern: '^\\d{1,10}$' },
      { type: 'string', minLength: 1, maxLength: 255, pattern: AGORA_NAME_JSON_PATTERN },
    ],
  });
export type RtcUid = z.output<typeof RtcUid>;

export const RtcRoleName = z.enum(['publisher', 'subscriber'], {
  error: "must be 'publisher' or 'subscriber'",
});
export type RtcRoleName = z.infer<typeof RtcRoleName>;

const RtmUserId = z
  .string({ error: 'must be a string' })
  .refine((value) => value.length > 0, { error: 'must not be empty' })
  .refine((value) => utf8ByteLength(value) <= 64, { error: 'must be at most 64 bytes' })
  .meta({ minLength: 1, maxLength: 64, description: '1–64 UTF-8 bytes' });

/** Fields shared by every kind: the lifetime, under its own name or the tutorial's `expireTime`. */
const lifetime = {
  expireSeconds: Seconds.optional(),
  /** Alias of `expireSeconds`, the name the tutorial backend used. */
  expireTime: Seconds.optional(),
};

function checkLifetimeAlias(
  value: { expireSeconds?: number | undefined; expireTime?: number | undefined },
  ctx: z.core.$RefinementCtx,
): void {
  if (value.expireSeconds !== undefined && value.expireTime !== undefined && value.expireSeconds !== value.expireTime) {
    ctx.addIssue({
      code: 'custom',
      path: ['expireTime'],
      message: 'is an alias of expireSeconds; give one of them, or the same value in both',
    });
  }
}

export const RtcTokenInput = z
  .object({
    kind: z.literal('rtc').default('rtc'),
    channel: ChannelName,
    /** 0 makes a token any uid can join with; a string that is not all digits is a user account. */
    uid: RtcUid,
    role: RtcRoleName.default('publisher'),
    ...lifetime,
    /** How long the join/publish privileges last; at most the token's lifetime. */
    privilegeExpireSeconds: Seconds.optional(),
  })
  .superRefine((value, ctx) => {
    checkLifetimeAlias(value, ctx);
    const expire = value.expireSeconds ?? value.expireTime ?? DEFAULT_TOKEN_SECONDS;
    if (value.privilegeExpireSeconds !== undefined && value.privilegeExpireSeconds > expire) {
      ctx.addIssue({
        code: 'custom',
        path: ['privilegeExpireSeconds'],
        message: `must not exceed the token lifetime (${expire} seconds)`,
      });
    }
  })
  .meta({
    description:
      'privilegeExpireSeconds must not exceed the token lifetime (expireSeconds, default 3600); expireTime is an alias of expireSeconds: give one, or the same value in both',
  });

export const RtmTokenInput = z
  .object({
    kind: z.literal('rtm'),
    userId: RtmUserId,
    ...lifetime,
  })
  .superRefine(checkLifetimeAlias);

export const ChatTokenInput = z
  .object({
    kind: z.literal('chat'),
    /** With a userId: a user token; without: an app token. */
    userId: RtmUserId.optional(),
    ...lifetime,
  })
  .superRefine(checkLifetimeAlias);

/**
 * Input of `token.generate`. `kind` defaults to `rtc`, so the tutorial's body
 * `{ channel, uid, role, expireTime }` parses unchanged.
 */
export const TokenGenerateInput = z.discriminatedUnion('kind', [RtcTokenInput, RtmTokenInput, ChatTokenInput], {
  error: "kind must be 'rtc', 'rtm' or 'chat'",
});
export type TokenGenerateInput = z.input<typeof TokenGenerateInput>;
export type ParsedTokenGenerateInput = z.output<typeof TokenGenerateInput>;

const isSeconds = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TOKEN_SECONDS;
const COMMON_RTC_KEYS = new Set(['kind', 'channel', 'uid', 'role', 'expireSeconds', 'expireTime', 'privilegeExpireSeconds']);

/**
 * TokenGenerateInput.parse(value) for the commonest input — an RTC token for a numeric uid, every
 * field plainly valid — without zod, or undefined for anything else, which the schema then parses
 * (so every refusal keeps the schema's errors). It accepts only what the schema accepts, and
 * returns what the schema returns (token.test.ts holds the two equal); zod's parse of this union
 * was ~5 % of the token path's profile (server/bench/README.md, issue 35).
 */
export function parseCommonRtcInput(value: unknown): ParsedTokenGenerateInput | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const input = value as Record<string, unknown>;
  // Unknown keys (the schema drops them) and keys given as undefined: left to the schema.
  for (const key in input) if (!COMMON_RTC_KEYS.has(key) || input[key] === undefined) return undefined;
  const { kind, channel, uid, role, expireSeconds, expireTime, privilegeExpireSeconds } = input;
  if (kind !== undefined && kind !== 'rtc') return undefined;
  if (!isAgoraName(channel, 63)) return undefined;
  if (typeof uid !== 'number' || !Number.isInteger(uid) || uid < 0 || uid > MAX_UID) return undefined;
  if (role !== undefined && role !== 'publisher' && role !== 'subscriber') return undefined;
  if ((expireSeconds !== undefined && !isSeconds(expireSeconds)) || (expireTime !== undefined && !isSeconds(expireTime))) return undefined;
  if (expireSeconds !== undefined && expireTime !== undefined && expireSeconds !== expireTime) return undefined;
  if (privilegeExpireSeconds !== undefined) {
    if (!isSeconds(privilegeExpireSeconds) || privilegeExpireSeconds > (expireSeconds ?? expireTime ?? DEFAULT_TOKEN_SECONDS))
      return undefined;
  }
  // The schema's output: its keys in its order, optional ones only when given.
  return {
    kind: 'rtc',
    channel,
    uid,
    role: role ?? 'publisher',
    ...(expireSeconds !== undefined ? { expireSeconds } : {}),
    ...(expireTime !== undefined ? { expireTime } : {}),
    ...(privilegeExpireSeconds !== undefined ? { privilegeExpireSeconds } : {}),
  };
}

export const TokenKind = z.enum(['rtc', 'rtm', 'chat']);
export type TokenKind = z.infer<typeof TokenKind>;

export const TokenGenerateOutput = z.object({
  token: z.string().min(1),
  kind: TokenKind,
  appId: z.string(),
  channel: z.string().optional(),
  uid: z.union([z.number(), z.string()]).optional(),
  role: RtcRoleName.optional(),
  userId: z.string().optional(),
  issuedAt: z.date(),
  expiresAt: z.date(),
});
export type TokenGenerateOutput = z.infer<typeof TokenGenerateOutput>;
