import { z } from 'zod';

/**
 * `agora-emulator`'s environment. Names it shares with the server mean the same there, so one
 * `.env` serves both: AGORA_CUSTOMER_ID/SECRET are the Basic credentials it accepts,
 * AGORA_WEBHOOK_SECRET signs its notifications unless EMULATOR_WEBHOOK_SECRET says otherwise.
 */

const hex32 = z.string().regex(/^[0-9a-fA-F]{32}$/, { error: 'must be 32 hexadecimal characters' });
const whole = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });

const EmulatorEnv = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1'),
    EMULATOR_PORT: whole(0, 65_535).default(4100),
    DATA_DIR: z.string().min(1).default('./data'),
    EMULATOR_STORAGE_DIR: z.string().min(1).optional(),
    AGORA_APP_ID: hex32.optional(),
    AGORA_APP_CERTIFICATE: hex32.optional(),
    AGORA_CUSTOMER_ID: z.string().min(1).default('emulator'),
    AGORA_CUSTOMER_SECRET: z.string().min(1).default('emulator-secret'),
    EMULATOR_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    EMULATOR_WEBHOOK_SECRET: z.string().min(1).optional(),
    AGORA_WEBHOOK_SECRET: z.string().min(1).optional(),
    EMULATOR_REQUESTS_PER_SECOND: whole(0, 100_000).default(10),
    EMULATOR_MAX_RECORDINGS: whole(1, 100_000).default(50),
    EMULATOR_CHANNEL_EVENTS: z.enum(['0', '1', 'true', 'false']).default('0'),
  })
  .superRefine((env, ctx) => {
    if ((env.AGORA_APP_ID === undefined) !== (env.AGORA_APP_CERTIFICATE === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['AGORA_APP_CERTIFICATE'], message: 'AGORA_APP_ID and AGORA_APP_CERTIFICATE go together' });
    }
    if (env.EMULATOR_WEBHOOK_URL && !env.EMULATOR_WEBHOOK_SECRET && !env.AGORA_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['EMULATOR_WEBHOOK_SECRET'],
        message: 'is required with EMULATOR_WEBHOOK_URL (or set AGORA_WEBHOOK_SECRET)',
      });
    }
  });

export interface EmulatorConfig {
  host: string;
  port: number;
  dataDir: string;
  storageDir: string;
  app: { appId: string; appCertificate: string } | undefined;
  customerId: string;
  customerSecret: string;
  webhook: { url: string; secret: string } | undefined;
  requestsPerSecond: number;
  maxConcurrentRecordings: number;
  /** Send RTC channel event notices (productId 1) to the webhook. */
  channelEvents: boolean;
}

export function parseEmulatorEnv(
  env: Record<string, string | undefined>,
): { ok: true; config: EmulatorConfig } | { ok: false; errors: string[] } {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = EmulatorEnv.safeParse(present);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
  const value = parsed.data;
  const secret = value.EMULATOR_WEBHOOK_SECRET ?? value.AGORA_WEBHOOK_SECRET;
  return {
    ok: true,
    config: {
      host: value.HOST,
      port: value.EMULATOR_PORT,
      dataDir: value.DATA_DIR,
      storageDir: value.EMULATOR_STORAGE_DIR ?? `${value.DATA_DIR.replace(/\/$/, '')}/recordings`,
      app:
        value.AGORA_APP_ID && value.AGORA_APP_CERTIFICATE
          ? { appId: value.AGORA_APP_ID, appCertificate: value.AGORA_APP_CERTIFICATE }
          : undefined,
      customerId: value.AGORA_CUSTOMER_ID,
      customerSecret: value.AGORA_CUSTOMER_SECRET,
      webhook: value.EMULATOR_WEBHOOK_URL && secret ? { url: value.EMULATOR_WEBHOOK_URL, secret } : undefined,
      requestsPerSecond: value.EMULATOR_REQUESTS_PER_SECOND,
      maxConcurrentRecordings: value.EMULATOR_MAX_RECORDINGS,
      channelEvents: value.EMULATOR_CHANNEL_EVENTS === '1' || value.EMULATOR_CHANNEL_EVENTS === 'true',
    },
  };
}
