import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { MAX_RECORDING_SECONDS } from '@agora-backend/shared';
import type { StorageConfig } from './agora/index.js';
import { ApiKeyList, type ApiKeyEntry } from './auth/authenticator.js';
import { LOG_LEVELS } from './logger.js';
import type { RecordingSettings } from './recording/index.js';
import { parseAgentProfiles, type AgentProfiles } from './agent-profiles.js';

/**
 * Environment variables and the older names they also answer to. The tutorial backend used the
 * unprefixed names; accepting them lets its users switch without renaming anything.
 */
const ALIASES: Record<string, readonly string[]> = {
  AGORA_APP_ID: ['APP_ID'],
  AGORA_APP_CERTIFICATE: ['APP_CERTIFICATE'],
  AGORA_CUSTOMER_ID: ['CUSTOMER_ID'],
  AGORA_CUSTOMER_SECRET: ['CUSTOMER_SECRET'],
  STORAGE_BUCKET: ['BUCKET_NAME'],
  STORAGE_ACCESS_KEY: ['ACCESS_KEY'],
  STORAGE_SECRET_KEY: ['SECRET_KEY'],
};

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });

/** Recorder uids default to the top of the uid space, away from the small uids apps give users. */
export const DEFAULT_RECORDER_UID_RANGE = { min: 4_000_000_000, max: 4_294_967_295 } as const;

/** Defaults of what createApp takes; the environment's defaults below are the same values. */
export const APP_DEFAULTS = {
  shutdownTimeoutMs: 10_000,
  maxBodyBytes: 1024 * 1024,
  subscriptionsPerConnection: 100,
  wsConnectionsPerIp: 50,
  maxBatchSize: 100,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  connectionsPerIp: 128,
  rateLimits: { tokensPerMinute: 60, startsPerMinute: 10, ipMultiplier: 5 },
  agoraRequestsPerSecond: 8,
  /** Presence compares a watched or read channel with Agora's user list when it has not for this long. */
  presenceReconcileMs: 30_000,
  /** Presence history (join/leave events, ended stays) is kept this long: PRESENCE_RETENTION_DAYS, default 30. */
  presenceRetentionDays: 30,
} as const;

/** Per-caller limits of the costly calls; per client address: each × ipMultiplier. */
export interface RateLimitSettings {
  tokensPerMinute: number;
  startsPerMinute: number;
  ipMultiplier: number;
}

/**
 * What the server is built from (createApp and compose.ts), in the units the code uses
 * (milliseconds): toAppConfig makes it from the environment's EnvConfig; tests write it directly.
 */
export interface AppConfig {
  /** AGORA_REQUESTS_PER_SECOND (for the poll cadence in the metrics). */
  agoraRequestsPerSecond?: number;
  /** How long a channel's presence counts as reconciled with Agora's user list (default 30 s). */
  presenceReconcileMs?: number;
  /** PRESENCE_RETENTION_DAYS in ms: presence history older than this is forgotten (default 30 days; 0: kept for ever). */
  presenceRetentionMs?: number;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  appId: string;
  appCertificate: string;
  /** How long close() lets in-flight requests finish before cutting connections. */
  shutdownTimeoutMs?: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /** Calls one tRPC batch may carry, over HTTP or WebSocket (default 100). */
  maxBatchSize?: number;
  /** Time a client may take to send a request's headers (default 10 s), and the whole request (30 s). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Connections one address may hold open, HTTP and WebSocket together (default 128; trusted proxies are not counted). */
  connectionsPerIp?: number;
  /** Cloud Recording settings; recording procedures need these plus deps.agora and deps.store. */
  recording?: RecordingSettings;
  /** Conversational AI agents: the server's profiles (AGENT_PROFILES_FILE / AGENT_PROFILES); agents need recording's settings too. */
  agents?: { profiles: AgentProfiles; tokenSeconds?: number | undefined; watchedHistoryMs?: number | undefined };
  /** Concurrent subscriptions one WebSocket connection may hold (default 100). */
  subscriptionsPerConnection?: number;
  /** AGORA_WEBHOOK_SECRET: enables POST /webhooks/agora. */
  webhookSecret?: string;
  /** Browser origins allowed to call (CORS_ORIGINS); none by default. */
  corsOrigins?: string[];
  /** Concurrent WebSocket connections per client address (default 50). */
  wsConnectionsPerIp?: number;
  rateLimits?: RateLimitSettings;
  /** TRUST_PROXY: proxies (addresses, CIDRs) whose X-Forwarded-For names the client. */
  trustProxy?: string[];
  /** PUBLIC_URL: the origin users reach this server at, for the file links it hands out. */
  publicUrl?: string;
}

/** An IPv4/IPv6 address, or one with a /prefix (TRUST_PROXY entries). */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

const hex32 = z.string().regex(/^[0-9a-fA-F]{32}$/, { error: 'must be 32 hexadecimal characters' });

const EnvSchema = z.object({
  PORT: z.coerce
    .number({ error: 'must be a whole number from 0 to 65535' })
    .int({ error: 'must be a whole number from 0 to 65535' })
    .min(0, { error: 'must be a whole number from 0 to 65535' })
    .max(65535, { error: 'must be a whole number from 0 to 65535' })
    .default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: "must be 'json' or 'pretty'" }).optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int({ error: 'must be a whole number of milliseconds' })
    .min(0, { error: 'must not be negative' })
    .default(APP_DEFAULTS.shutdownTimeoutMs),
  AGORA_APP_ID: hex32.optional(),
  AGORA_APP_CERTIFICATE: hex32.optional(),
  AGORA_CUSTOMER_ID: z.string().min(1).optional(),
  AGORA_CUSTOMER_SECRET: z.string().min(1).optional(),
  AGORA_REQUESTS_PER_SECOND: wholeNumber(1, 1_000).default(APP_DEFAULTS.agoraRequestsPerSecond),
  /** Conversational AI agent profiles: a JSON file, or the same JSON inline (docs/agents.md). */
  AGENT_PROFILES_FILE: z.string().optional(),
  AGENT_PROFILES: z.string().optional(),
  AGORA_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  EMULATOR_PORT: z.coerce
    .number({ error: 'must be a whole number from 0 to 65535' })
    .int({ error: 'must be a whole number from 0 to 65535' })
    .min(0, { error: 'must be a whole number from 0 to 65535' })
    .max(65535, { error: 'must be a whole number from 0 to 65535' })
    .optional(),
  EMULATOR_STORAGE_DIR: z.string().min(1).optional(),
  /** The embedded emulator also sends RTC channel event notices (presence), as the emulator's own setting of this name. */
  EMULATOR_CHANNEL_EVENTS: z.enum(['0', '1', 'true', 'false'], { error: 'must be 1 or 0 (true or false)' }).default('0'),
  /** Days presence history (join/leave events, ended stays) is kept; 0 keeps it for ever. */
  PRESENCE_RETENTION_DAYS: wholeNumber(0, 3650).default(APP_DEFAULTS.presenceRetentionDays),
  STORAGE_VENDOR: wholeNumber(0, 11).optional(),
  STORAGE_REGION: wholeNumber(0, 100).optional(),
  STORAGE_BUCKET: z.string().min(1).optional(),
  STORAGE_ACCESS_KEY: z.string().min(1).optional(),
  STORAGE_SECRET_KEY: z.string().min(1).optional(),
  STORAGE_ENDPOINT: z.url({ error: 'must be a URL' }).optional(),
  STORAGE_SIGNING_REGION: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/, { error: 'must be a region name like us-east-1 or auto' })
    .optional(),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) origin like https://api.example.com' })
    .refine((text) => new URL(text).pathname === '/' && !text.includes('?'), {
      error: 'must be an origin without a path, like https://api.example.com',
    })
    .transform((text) => new URL(text).origin)
    .optional(),
  RECORDER_UID_MIN: wholeNumber(1, 4_294_967_295).default(DEFAULT_RECORDER_UID_RANGE.min),
  RECORDER_UID_MAX: wholeNumber(1, 4_294_967_295).default(DEFAULT_RECORDER_UID_RANGE.max),
  RECORDING_MAX_SECONDS: wholeNumber(60, MAX_RECORDING_SECONDS).default(3 * 3600),
  WATCHDOG_INTERVAL_SECONDS: wholeNumber(1, 3600).default(30),
  // Default set below: 30 s, or 120 s when Agora's notifications are configured (they wake the poller).
  POLL_INTERVAL_SECONDS: wholeNumber(1, 3600).optional(),
  AGORA_FAILOVER_WINDOW_SECONDS: wholeNumber(10, 3600).default(90),
  START_SETTLE_SECONDS: wholeNumber(1, 300).default(60),
  SUBSCRIPTIONS_PER_CONNECTION: wholeNumber(1, 10_000).default(APP_DEFAULTS.subscriptionsPerConnection),
  AGORA_WEBHOOK_SECRET: z.string().min(8, { error: 'must be at least 8 characters' }).optional(),
  AUTH_MODE: z.enum(['none', 'apikey', 'jwt'], { error: "must be 'none', 'apikey' or 'jwt'" }).default('none'),
  API_KEYS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON list of keys (see README: Authentication)' });
        return z.NEVER;
      }
    })
    .pipe(ApiKeyList)
    .optional(),
  JWT_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
  JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_CLOCK_SKEW_SECONDS: wholeNumber(0, 600).default(30),
  JWT_SUBJECT_CLAIM: z.string().min(1).default('sub'),
  JWT_CHANNELS_CLAIM: z.string().min(1).default('channels'),
  JWT_SCOPE_CLAIM: z.string().min(1).default('scope'),
  CORS_ORIGINS: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.union([z.literal('*'), z.url({ error: 'entries must be origins like https://app.example.com' })])))
    .optional(),
  WS_CONNECTIONS_PER_IP: wholeNumber(1, 100_000).default(APP_DEFAULTS.wsConnectionsPerIp),
  TRUST_PROXY: z
    .string()
    .transform((text) =>
      text
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().refine(isAddressOrCidr, { error: 'entries must be IP addresses or CIDRs like 10.0.0.0/8' })))
    .optional(),
  RATE_LIMIT_TOKENS_PER_MINUTE: wholeNumber(1, 1_000_000).default(APP_DEFAULTS.rateLimits.tokensPerMinute),
  RATE_LIMIT_STARTS_PER_MINUTE: wholeNumber(1, 1_000_000).default(APP_DEFAULTS.rateLimits.startsPerMinute),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// URL (leave it unset for the embedded SQLite registry)' })
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: 'must be a lowercase SQL identifier' })
    .default('public'),
  BODY_LIMIT_BYTES: wholeNumber(1_024, 100 * 1024 * 1024).default(APP_DEFAULTS.maxBodyBytes),
  MAX_BATCH_SIZE: wholeNumber(1, 10_000).default(APP_DEFAULTS.maxBatchSize),
  HEADERS_TIMEOUT_MS: wholeNumber(100, 600_000).default(APP_DEFAULTS.headersTimeoutMs),
  REQUEST_TIMEOUT_MS: wholeNumber(100, 3_600_000).default(APP_DEFAULTS.requestTimeoutMs),
  CONNECTIONS_PER_IP: wholeNumber(1, 1_000_000).default(APP_DEFAULTS.connectionsPerIp),
});

/** Configuration as read from the environment, before development credentials are filled in. */
export interface EnvConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Undefined: pretty on a terminal, JSON otherwise (decided by main.ts). */
  logFormat: 'json' | 'pretty' | undefined;
  shutdownTimeoutMs: number;
  agora: {
    appId: string | undefined;
    appCertificate: string | undefined;
    customerId: string | undefined;
    customerSecret: string | undefined;
    /** Replaces every Agora host (the emulator, a proxy). */
    apiUrl: string | undefined;
    /**
     * Requests per second we send Agora per App ID, across all instances. Agora allows 10; the
     * default 8 leaves a margin for clock and network jitter between our count and Agora's.
     */
    requestsPerSecond: number;
  };
  emulator: {
    /**
     * Where the embedded emulator listens: EMULATOR_PORT, else PORT + 100 (4100 beside the default
     * 4000), so its control API stays at one address across restarts; 0 (a free port) when PORT is 0.
     */
    port: number;
    /** The emulator's stand-in for storage buckets; default `<dataDir>/recordings`. */
    storageDir: string;
    /** EMULATOR_CHANNEL_EVENTS: it sends RTC channel event notices (productId 1) to our webhook. */
    channelEvents: boolean;
  };
  /** Where recordings are written; undefined in development (the emulator's local bucket). */
  storage: StorageSettings | undefined;
  recording: {
    uidMin: number;
    uidMax: number;
    defaultMaxDurationSeconds: number;
    watchdogIntervalSeconds: number;
    pollIntervalSeconds: number;
    /** How long Agora's 404s must last before a recording counts as gone. */
    failoverWindowSeconds: number;
    /** With several instances: when a start that got no sid counts as interrupted. */
    startSettleSeconds: number;
  };
  subscriptionsPerConnection: number;
  /** PRESENCE_RETENTION_DAYS (0: kept for ever). */
  presenceRetentionDays: number;
  /** Enables POST /webhooks/agora. */
  webhookSecret: string | undefined;
  auth:
    | { mode: 'none' }
    | { mode: 'apikey'; keys: ApiKeyEntry[] }
    | {
        mode: 'jwt';
        secret: string | undefined;
        jwksUrl: string | undefined;
        audience: string | undefined;
        issuer: string | undefined;
        clockSkewSeconds: number;
        claims: { subject: string; channels: string; scope: string };
      };
  corsOrigins: string[];
  wsConnectionsPerIp: number;
  /** TRUST_PROXY: proxies whose X-Forwarded-For is believed (addresses and CIDRs). */
  trustProxy: string[];
  /** PUBLIC_URL: this server's origin as users reach it, for file links; default: the request's Host. */
  publicUrl: string | undefined;
  rateLimits: RateLimitSettings;
  bodyLimitBytes: number;
  /** MAX_BATCH_SIZE: calls in one tRPC batch (HTTP or WebSocket). */
  maxBatchSize: number;
  /** HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, CONNECTIONS_PER_IP: what a slow client may hold. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  connectionsPerIp: number;
  /** PostgreSQL for several instances; undefined: SQLite under DATA_DIR. */
  database: { url: string; schema: string } | undefined;
  /** Conversational AI agent profiles (AGENT_PROFILES_FILE / AGENT_PROFILES; on the embedded emulator `default` too). */
  agentProfiles: AgentProfiles;
}

/** Addresses only this machine can reach: where AUTH_MODE=none is allowed. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export interface StorageSettings {
  vendor: number;
  region: number;
  bucket: string;
  accessKey: string;
  secretKey: string;
  endpoint: string | undefined;
  /** Vendor 11: the region presigned links are signed for. */
  signingRegion: string | undefined;
}

/** The embedded emulator's port when EMULATOR_PORT is unset: PORT + 100, or a free one (0) with PORT 0 or near the top. */
export const embeddedEmulatorPort = (port: number) => (port === 0 || port + 100 > 65_535 ? 0 : port + 100);

/** `pnpm start` reads the whole configuration; `pnpm emulator` the same .env without the server's rules. */
export type ConfigPurpose = 'server' | 'emulator';

export type ConfigResult = { ok: true; config: EnvConfig } | { ok: false; errors: string[] };

/**
 * Rules between variables. Checked on presence alone, apart from the schema, so that one bad value
 * does not hide a missing partner: the operator sees every problem in one go.
 */
function checkCombinations(env: Record<string, string>, purpose: ConfigPurpose): string[] {
  const errors: string[] = [];
  const requires = (present: string, absent: string, why: string) => {
    if (env[present] !== undefined && env[absent] === undefined) {
      errors.push(`${absent}: is required when ${present} is set (${why})`);
    }
  };
  requires('AGORA_APP_ID', 'AGORA_APP_CERTIFICATE', 'tokens are signed with it');
  requires('AGORA_APP_CERTIFICATE', 'AGORA_APP_ID', 'the certificate belongs to one App ID');
  requires('AGORA_CUSTOMER_ID', 'AGORA_CUSTOMER_SECRET', 'they form the REST credentials');
  requires('AGORA_CUSTOMER_SECRET', 'AGORA_CUSTOMER_ID', 'they form the REST credentials');
  // The emulator takes AGORA_CUSTOMER_ID/SECRET as the Basic credentials it accepts: no bucket.
  if (purpose === 'emulator') return errors;
  const storageVariables = ['STORAGE_VENDOR', 'STORAGE_REGION', 'STORAGE_BUCKET', 'STORAGE_ACCESS_KEY', 'STORAGE_SECRET_KEY'];
  const storageGiven = storageVariables.filter((name) => env[name] !== undefined);
  if (storageGiven.length > 0 || env.AGORA_CUSTOMER_ID !== undefined) {
    const why =
      storageGiven.length > 0 ? 'storage is configured in full or not at all' : 'recordings with real Agora credentials need a bucket';
    for (const name of storageVariables) if (env[name] === undefined) errors.push(`${name}: is required (${why})`);
  }
  if (env.STORAGE_VENDOR === '11' && env.STORAGE_ENDPOINT === undefined) {
    errors.push('STORAGE_ENDPOINT: is required for STORAGE_VENDOR 11 (S3-compatible storage)');
  }
  if (
    env.RECORDER_UID_MIN !== undefined &&
    env.RECORDER_UID_MAX !== undefined &&
    Number(env.RECORDER_UID_MIN) > Number(env.RECORDER_UID_MAX)
  ) {
    errors.push('RECORDER_UID_MAX: must not be below RECORDER_UID_MIN');
  }
  const headersTimeout = Number(env.HEADERS_TIMEOUT_MS ?? APP_DEFAULTS.headersTimeoutMs);
  if (headersTimeout > Number(env.REQUEST_TIMEOUT_MS ?? APP_DEFAULTS.requestTimeoutMs)) {
    errors.push('REQUEST_TIMEOUT_MS: must not be below HEADERS_TIMEOUT_MS (the whole request includes its headers)');
  }
  const mode = env.AUTH_MODE ?? 'none';
  if (mode === 'none' && !isLoopback(env.HOST ?? '127.0.0.1')) {
    errors.push(
      "AUTH_MODE: 'none' lets anyone mint tokens and start paid recordings, so it is only allowed when HOST is a loopback address; set AUTH_MODE=apikey or jwt",
    );
  }
  if (mode === 'apikey' && env.API_KEYS === undefined) errors.push('API_KEYS: is required when AUTH_MODE=apikey');
  if (mode === 'jwt' && env.JWT_SECRET === undefined && env.JWT_JWKS_URL === undefined) {
    errors.push('JWT_SECRET: JWT_SECRET or JWT_JWKS_URL is required when AUTH_MODE=jwt');
  }
  if (env.AGORA_CUSTOMER_ID !== undefined && env.AGORA_APP_ID === undefined) {
    errors.push('AGORA_APP_ID: is required when AGORA_CUSTOMER_ID is set (Cloud Recording runs under a real App ID)');
  }
  return errors;
}

/** Picks each variable under its own name or an alias; two different values is an error. */
function resolveAliases(env: Record<string, string | undefined>, errors: string[]): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    // An empty value, common in copied .env files, means "not set".
    if (value !== undefined && value !== '') resolved[name] = value;
  }
  for (const [canonical, aliases] of Object.entries(ALIASES)) {
    for (const alias of aliases) {
      const aliasValue = resolved[alias];
      if (aliasValue === undefined) continue;
      const canonicalValue = resolved[canonical];
      if (canonicalValue === undefined) {
        resolved[canonical] = aliasValue;
      } else if (canonicalValue !== aliasValue) {
        errors.push(`${canonical}: set twice with different values (also as ${alias}); keep one`);
      }
    }
  }
  return resolved;
}

/**
 * Reads the configuration from an environment object. Pure: main.ts passes `process.env`.
 * On failure it lists every bad variable with the rule it breaks, and never a value.
 */
export function parseConfig(env: Record<string, string | undefined>, purpose: ConfigPurpose = 'server'): ConfigResult {
  const errors: string[] = [];
  const resolved = resolveAliases(env, errors);
  const parsed = EnvSchema.safeParse(resolved);
  if (!parsed.success) {
    // Every rule above carries its own message, so no message quotes a value (secrets included).
    for (const issue of parsed.error.issues) errors.push(`${issue.path.map(String).join('.')}: ${issue.message}`);
  }
  errors.push(...checkCombinations(resolved, purpose));
  // Read at start-up with every problem listed beside the others' (a file is read: the one exception to purity here).
  const profiles =
    purpose === 'server'
      ? parseAgentProfiles(
          { file: resolved.AGENT_PROFILES_FILE, inline: resolved.AGENT_PROFILES },
          { embedded: resolved.AGORA_CUSTOMER_ID === undefined },
        )
      : ({ ok: true, profiles: new Map() } as const);
  if (!profiles.ok) errors.push(...profiles.errors);
  if (errors.length > 0 || !parsed.success || !profiles.ok) return { ok: false, errors };
  const value = parsed.data;
  return {
    ok: true,
    config: {
      port: value.PORT,
      host: value.HOST,
      dataDir: value.DATA_DIR,
      logLevel: value.LOG_LEVEL,
      logFormat: value.LOG_FORMAT,
      shutdownTimeoutMs: value.SHUTDOWN_TIMEOUT_MS,
      agora: {
        appId: value.AGORA_APP_ID,
        appCertificate: value.AGORA_APP_CERTIFICATE,
        customerId: value.AGORA_CUSTOMER_ID,
        customerSecret: value.AGORA_CUSTOMER_SECRET,
        apiUrl: value.AGORA_API_URL,
        requestsPerSecond: value.AGORA_REQUESTS_PER_SECOND,
      },
      emulator: {
        port: value.EMULATOR_PORT ?? embeddedEmulatorPort(value.PORT),
        storageDir: value.EMULATOR_STORAGE_DIR ?? join(value.DATA_DIR, 'recordings'),
        channelEvents: value.EMULATOR_CHANNEL_EVENTS === '1' || value.EMULATOR_CHANNEL_EVENTS === 'true',
      },
      storage:
        value.STORAGE_VENDOR !== undefined &&
        value.STORAGE_REGION !== undefined &&
        value.STORAGE_BUCKET !== undefined &&
        value.STORAGE_ACCESS_KEY !== undefined &&
        value.STORAGE_SECRET_KEY !== undefined
          ? {
              vendor: value.STORAGE_VENDOR,
              region: value.STORAGE_REGION,
              bucket: value.STORAGE_BUCKET,
              accessKey: value.STORAGE_ACCESS_KEY,
              secretKey: value.STORAGE_SECRET_KEY,
              endpoint: value.STORAGE_ENDPOINT,
              signingRegion: value.STORAGE_SIGNING_REGION,
            }
          : undefined,
      recording: {
        uidMin: value.RECORDER_UID_MIN,
        uidMax: value.RECORDER_UID_MAX,
        defaultMaxDurationSeconds: value.RECORDING_MAX_SECONDS,
        watchdogIntervalSeconds: value.WATCHDOG_INTERVAL_SECONDS,
        pollIntervalSeconds: value.POLL_INTERVAL_SECONDS ?? (value.AGORA_WEBHOOK_SECRET ? 120 : 30),
        failoverWindowSeconds: value.AGORA_FAILOVER_WINDOW_SECONDS,
        startSettleSeconds: value.START_SETTLE_SECONDS,
      },
      subscriptionsPerConnection: value.SUBSCRIPTIONS_PER_CONNECTION,
      presenceRetentionDays: value.PRESENCE_RETENTION_DAYS,
      webhookSecret: value.AGORA_WEBHOOK_SECRET,
      auth:
        value.AUTH_MODE === 'apikey'
          ? { mode: 'apikey', keys: value.API_KEYS ?? [] }
          : value.AUTH_MODE === 'jwt'
            ? {
                mode: 'jwt',
                secret: value.JWT_SECRET,
                jwksUrl: value.JWT_JWKS_URL,
                audience: value.JWT_AUDIENCE,
                issuer: value.JWT_ISSUER,
                clockSkewSeconds: value.JWT_CLOCK_SKEW_SECONDS,
                claims: { subject: value.JWT_SUBJECT_CLAIM, channels: value.JWT_CHANNELS_CLAIM, scope: value.JWT_SCOPE_CLAIM },
              }
            : { mode: 'none' },
      corsOrigins: value.CORS_ORIGINS ?? [],
      wsConnectionsPerIp: value.WS_CONNECTIONS_PER_IP,
      trustProxy: value.TRUST_PROXY ?? [],
      publicUrl: value.PUBLIC_URL,
      rateLimits: {
        tokensPerMinute: value.RATE_LIMIT_TOKENS_PER_MINUTE,
        startsPerMinute: value.RATE_LIMIT_STARTS_PER_MINUTE,
        ipMultiplier: APP_DEFAULTS.rateLimits.ipMultiplier,
      },
      bodyLimitBytes: value.BODY_LIMIT_BYTES,
      maxBatchSize: value.MAX_BATCH_SIZE,
      headersTimeoutMs: value.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: value.REQUEST_TIMEOUT_MS,
      connectionsPerIp: value.CONNECTIONS_PER_IP,
      database: value.DATABASE_URL ? { url: value.DATABASE_URL, schema: value.DATABASE_SCHEMA } : undefined,
      agentProfiles: profiles.profiles,
    },
  };
}

/**
 * The bucket recordings go to: the operator's (STORAGE_*), or in development the emulator's local
 * folder (any keys do; the emulator writes under EMULATOR_STORAGE_DIR/local).
 */
export function storageFor(config: EnvConfig): StorageConfig {
  const storage = config.storage;
  if (!storage) return { vendor: 1, region: 0, bucket: 'local', accessKey: 'emulator', secretKey: 'emulator' };
  return {
    vendor: storage.vendor,
    region: storage.region,
    bucket: storage.bucket,
    accessKey: storage.accessKey,
    secretKey: storage.secretKey,
    ...(storage.endpoint ? { extensionParams: { endpoint: storage.endpoint } } : {}),
  };
}

/** What toAppConfig needs beyond the environment: the credentials in use and the webhook secret. */
export interface StartupValues {
  appId: string;
  appCertificate: string;
  /** AGORA_WEBHOOK_SECRET, or the one made up for the embedded emulator. */
  webhookSecret: string | undefined;
}

/**
 * The one conversion of settings: the environment's EnvConfig (seconds, operator's names) into the
 * AppConfig the server is built from (milliseconds, the code's names).
 */
export function toAppConfig(config: EnvConfig, values: StartupValues): AppConfig {
  const recording = config.recording;
  const seconds = (count: number) => count * 1000;
  return {
    host: config.host,
    port: config.port,
    appId: values.appId,
    appCertificate: values.appCertificate,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    recording: {
      storage: storageFor(config),
      uidRange: { min: recording.uidMin, max: recording.uidMax },
      defaultMaxDurationSeconds: recording.defaultMaxDurationSeconds,
      watchdogIntervalMs: seconds(recording.watchdogIntervalSeconds),
      pollIntervalMs: seconds(recording.pollIntervalSeconds),
      // Agora's advice: confirm a start about 5 s after it (sooner when polls come sooner).
      confirmDelayMs: Math.min(5_000, seconds(recording.pollIntervalSeconds)),
      failoverWindowMs: seconds(recording.failoverWindowSeconds),
      startSettleMs: seconds(recording.startSettleSeconds),
    },
    agents: { profiles: config.agentProfiles },
    subscriptionsPerConnection: config.subscriptionsPerConnection,
    presenceRetentionMs: config.presenceRetentionDays * 86_400_000,
    agoraRequestsPerSecond: config.agora.requestsPerSecond,
    corsOrigins: config.corsOrigins,
    wsConnectionsPerIp: config.wsConnectionsPerIp,
    trustProxy: config.trustProxy,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    rateLimits: config.rateLimits,
    maxBodyBytes: config.bodyLimitBytes,
    maxBatchSize: config.maxBatchSize,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    connectionsPerIp: config.connectionsPerIp,
    ...(values.webhookSecret ? { webhookSecret: values.webhookSecret } : {}),
  };
}
