import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, toAppConfig } from './config.js';
import { resolveCredentials } from './credentials.js';

const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CERT = '5cfd2fd1755d40ecb72977518be15d3b';
const STORAGE_ENV = { STORAGE_VENDOR: '1', STORAGE_REGION: '0', STORAGE_BUCKET: 'b', STORAGE_ACCESS_KEY: 'ak', STORAGE_SECRET_KEY: 'sk' };

describe('parseConfig', () => {
  it('puts the embedded emulator at PORT + 100 unless EMULATOR_PORT says otherwise (a free port with PORT 0)', () => {
    const port = (env: Record<string, string>) => {
      const result = parseConfig(env);
      return result.ok ? result.config.emulator.port : result.errors;
    };
    expect([
      port({}),
      port({ PORT: '5000' }),
      port({ PORT: '0' }),
      port({ PORT: '65500' }),
      port({ EMULATOR_PORT: '4242' }),
      port({ PORT: '0', EMULATOR_PORT: '0' }),
    ]).toEqual([4100, 5100, 0, 0, 4242, 0]);
  });

  it('applies the documented defaults to an empty environment', () => {
    const result = parseConfig({});
    // The embedded emulator's `default` agent profile, and no other (docs/agents.md).
    expect(result.ok && [...result.config.agentProfiles.keys()]).toEqual(['default']);
    expect(result).toEqual({
      ok: true,
      config: {
        agentProfiles: expect.any(Map) as unknown,
        port: 4000,
        host: '127.0.0.1',
        dataDir: './data',
        logLevel: 'info',
        logFormat: undefined,
        shutdownTimeoutMs: 10_000,
        agora: {
          appId: undefined,
          appCertificate: undefined,
          customerId: undefined,
          customerSecret: undefined,
          apiUrl: undefined,
          requestsPerSecond: 8,
        },
        emulator: { port: 4100, storageDir: 'data/recordings', channelEvents: false },
        storage: undefined,
        recording: {
          uidMin: 4_000_000_000,
          uidMax: 4_294_967_295,
          defaultMaxDurationSeconds: 10_800,
          watchdogIntervalSeconds: 30,
          pollIntervalSeconds: 30,
          failoverWindowSeconds: 90,
          startSettleSeconds: 60,
        },
        subscriptionsPerConnection: 100,
        presenceRetentionDays: 30,
        webhookSecret: undefined,
        auth: { mode: 'none' },
        corsOrigins: [],
        wsConnectionsPerIp: 50,
        trustProxy: [],
        rateLimits: { tokensPerMinute: 60, startsPerMinute: 10, ipMultiplier: 5 },
        bodyLimitBytes: 1_048_576,
        maxBatchSize: 100,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        connectionsPerIp: 128,
        database: undefined,
      },
    });
  });

  it("polls less when Agora's notifications are configured, unless POLL_INTERVAL_SECONDS says otherwise", () => {
    const interval = (env: Record<string, string>) => {
      const result = parseConfig(env);
      return result.ok ? result.config.recording.pollIntervalSeconds : result.errors;
    };
    expect(interval({})).toBe(30);
    expect(interval({ AGORA_WEBHOOK_SECRET: 'whsec-configured' })).toBe(120);
    expect(interval({ AGORA_WEBHOOK_SECRET: 'whsec-configured', POLL_INTERVAL_SECONDS: '15' })).toBe(15);
  });

  it('reads the AGORA_ names', () => {
    const result = parseConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      AUTH_MODE: 'jwt',
      JWT_SECRET: 'x'.repeat(32),
      AGORA_APP_ID: APP_ID,
      AGORA_APP_CERTIFICATE: CERT,
      AGORA_CUSTOMER_ID: 'customer',
      AGORA_CUSTOMER_SECRET: 'secret',
      ...STORAGE_ENV,
    });
    expect(result.ok && result.config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      agora: { appId: APP_ID, appCertificate: CERT, customerId: 'customer', customerSecret: 'secret', requestsPerSecond: 8 },
    });
  });

  it("accepts the tutorial backend's names as aliases", () => {
    const result = parseConfig({
      APP_ID,
      APP_CERTIFICATE: CERT,
      CUSTOMER_ID: 'customer',
      CUSTOMER_SECRET: 'secret',
      STORAGE_VENDOR: '1',
      STORAGE_REGION: '0',
      BUCKET_NAME: 'bucket',
      ACCESS_KEY: 'ak',
      SECRET_KEY: 'sk',
    });
    expect(result.ok && result.config.storage).toEqual({
      vendor: 1,
      region: 0,
      bucket: 'bucket',
      accessKey: 'ak',
      secretKey: 'sk',
      endpoint: undefined,
    });
    expect(result.ok && result.config.agora).toEqual({
      appId: APP_ID,
      appCertificate: CERT,
      customerId: 'customer',
      customerSecret: 'secret',
      apiUrl: undefined,
      requestsPerSecond: 8,
    });
  });

  it('treats empty values as unset', () => {
    const result = parseConfig({ AGORA_APP_ID: '', APP_CERTIFICATE: '', PORT: '' });
    expect(result.ok && result.config.port).toBe(4000);
  });

  it('lists every bad variable with its rule, and no secret value', () => {
    const secret = 'zz-super-secret-value-zz';
    const result = parseConfig({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      LOG_FORMAT: 'xml',
      AGORA_APP_ID: 'not-hex',
      AGORA_APP_CERTIFICATE: secret,
      AGORA_CUSTOMER_SECRET: secret,
      AGORA_API_URL: 'ftp://agora',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual(
      expect.arrayContaining([
        'PORT: must be a whole number from 0 to 65535',
        expect.stringMatching(/^LOG_LEVEL: must be one of fatal, error/),
        "LOG_FORMAT: must be 'json' or 'pretty'",
        'AGORA_APP_ID: must be 32 hexadecimal characters',
        'AGORA_APP_CERTIFICATE: must be 32 hexadecimal characters',
        expect.stringMatching(/^AGORA_CUSTOMER_ID: is required when AGORA_CUSTOMER_SECRET is set/),
        'AGORA_API_URL: must be an http(s) URL',
      ]),
    );
    expect(result.errors.join('\n')).not.toContain(secret);
  });

  it('reads PUBLIC_URL as a bare origin and STORAGE_SIGNING_REGION, and names what is wrong with them', () => {
    const good = parseConfig({
      PUBLIC_URL: 'https://api.example.com/',
      ...STORAGE_ENV,
      STORAGE_VENDOR: '11',
      STORAGE_ENDPOINT: 'https://r2.example.com',
      STORAGE_SIGNING_REGION: 'auto',
    });
    expect(good.ok && good.config.publicUrl).toBe('https://api.example.com');
    expect(good.ok && good.config.storage?.signingRegion).toBe('auto');
    const bad = parseConfig({ PUBLIC_URL: 'https://api.example.com/base', STORAGE_SIGNING_REGION: 'US East' });
    expect(bad.ok ? [] : [...bad.errors].sort()).toEqual([
      'PUBLIC_URL: must be an origin without a path, like https://api.example.com',
      'STORAGE_SIGNING_REGION: must be a region name like us-east-1 or auto',
    ]);
    expect(parseConfig({ PUBLIC_URL: 'ftp://x.example.com' })).toEqual({
      ok: false,
      errors: ['PUBLIC_URL: must be an http(s) origin like https://api.example.com'],
    });
  });

  it('requires the certificate with the App ID, and both REST credentials together', () => {
    const result = parseConfig({ AGORA_APP_ID: APP_ID, AGORA_CUSTOMER_ID: 'c', ...STORAGE_ENV });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      'AGORA_APP_CERTIFICATE: is required when AGORA_APP_ID is set (tokens are signed with it)',
      'AGORA_CUSTOMER_SECRET: is required when AGORA_CUSTOMER_ID is set (they form the REST credentials)',
    ]);
  });

  it('requires storage with real REST credentials, naming each missing variable', () => {
    const result = parseConfig({
      AGORA_APP_ID: APP_ID,
      AGORA_APP_CERTIFICATE: CERT,
      AGORA_CUSTOMER_ID: 'c',
      AGORA_CUSTOMER_SECRET: 's',
      STORAGE_BUCKET: 'b',
    });
    expect(!result.ok && result.errors).toEqual([
      'STORAGE_VENDOR: is required (storage is configured in full or not at all)',
      'STORAGE_REGION: is required (storage is configured in full or not at all)',
      'STORAGE_ACCESS_KEY: is required (storage is configured in full or not at all)',
      'STORAGE_SECRET_KEY: is required (storage is configured in full or not at all)',
    ]);
  });

  it('refuses REST credentials without a real App ID', () => {
    const result = parseConfig({ AGORA_CUSTOMER_ID: 'c', AGORA_CUSTOMER_SECRET: 's', ...STORAGE_ENV });
    expect(!result.ok && result.errors).toEqual([
      'AGORA_APP_ID: is required when AGORA_CUSTOMER_ID is set (Cloud Recording runs under a real App ID)',
    ]);
  });

  it('refuses a variable set under both names with different values', () => {
    const result = parseConfig({ AGORA_APP_ID: APP_ID, APP_ID: 'ffffffffffffffffffffffffffffffff', AGORA_APP_CERTIFICATE: CERT });
    expect(!result.ok && result.errors).toEqual(['AGORA_APP_ID: set twice with different values (also as APP_ID); keep one']);
  });
});

describe('authentication settings', () => {
  it('refuses AUTH_MODE=none on an address others can reach', () => {
    const result = parseConfig({ HOST: '0.0.0.0' });
    expect(!result.ok && result.errors).toEqual([
      "AUTH_MODE: 'none' lets anyone mint tokens and start paid recordings, so it is only allowed when HOST is a loopback address; set AUTH_MODE=apikey or jwt",
    ]);
    expect(parseConfig({ HOST: '::1' }).ok).toBe(true);
  });

  it('reads API_KEYS as JSON and names what is wrong with it', () => {
    const hash = `sha256:${'a'.repeat(64)}`;
    const good = parseConfig({ AUTH_MODE: 'apikey', API_KEYS: JSON.stringify([{ id: 'web', hash, scopes: ['token'] }]) });
    expect(good.ok && good.config.auth).toEqual({ mode: 'apikey', keys: [{ id: 'web', hash, scopes: ['token'], channels: ['*'] }] });
    expect(!parseConfig({ AUTH_MODE: 'apikey' }).ok).toBe(true);
    const bad = parseConfig({ AUTH_MODE: 'apikey', API_KEYS: '[{"id":"web","hash":"md5:x","scopes":[]}]' });
    expect(!bad.ok && bad.errors.join('\n')).toMatch(/API_KEYS\.0\.hash: must be sha256/);
    const notJson = parseConfig({ AUTH_MODE: 'apikey', API_KEYS: 'web:abc' });
    expect(!notJson.ok && notJson.errors).toContain('API_KEYS: must be a JSON list of keys (see README: Authentication)');
  });

  it('reads the edge limits and refuses a request timeout shorter than the headers timeout', () => {
    const read = parseConfig({ MAX_BATCH_SIZE: '20', HEADERS_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '8000', CONNECTIONS_PER_IP: '64' });
    expect(read.ok && { ...read.config }).toMatchObject({
      maxBatchSize: 20,
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 8_000,
      connectionsPerIp: 64,
    });
    expect(parseConfig({ HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '10000' })).toEqual({
      ok: false,
      errors: ['REQUEST_TIMEOUT_MS: must not be below HEADERS_TIMEOUT_MS (the whole request includes its headers)'],
    });
    expect(parseConfig({ MAX_BATCH_SIZE: '0' })).toEqual({ ok: false, errors: ['MAX_BATCH_SIZE: must be a whole number from 1 to 10000'] });
  });

  it('needs a key source for jwt', () => {
    expect(!parseConfig({ AUTH_MODE: 'jwt' }).ok).toBe(true);
    const short = parseConfig({ AUTH_MODE: 'jwt', JWT_SECRET: 'short' });
    expect(!short.ok && short.errors).toContain('JWT_SECRET: must be at least 32 characters');
  });
});

describe('resolveCredentials', () => {
  it('creates development credentials once and reuses them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'agora-creds-'));
    const parsed = parseConfig({ DATA_DIR: dataDir });
    if (!parsed.ok) throw new Error('config');
    const first = await resolveCredentials(parsed.config);
    expect(first.credentials.development).toBe(true);
    expect(first.credentials.appId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.credentials.appCertificate).toMatch(/^[0-9a-f]{32}$/);
    expect(first.credentials.appId).not.toBe(first.credentials.appCertificate);
    expect(first.createdFile).toBe(join(dataDir, 'dev-credentials.json'));
    expect((await stat(first.createdFile!)).mode & 0o777).toBe(0o600);

    const second = await resolveCredentials(parsed.config);
    expect(second.createdFile).toBeUndefined();
    expect(second.credentials).toEqual(first.credentials);
    expect(JSON.parse(await readFile(first.createdFile!, 'utf8'))).toEqual({
      appId: first.credentials.appId,
      appCertificate: first.credentials.appCertificate,
    });
  });

  it('never invents credentials when real ones are configured', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'agora-creds-'));
    const parsed = parseConfig({ DATA_DIR: dataDir, AGORA_APP_ID: APP_ID, AGORA_APP_CERTIFICATE: CERT });
    if (!parsed.ok) throw new Error('config');
    const result = await resolveCredentials(parsed.config);
    expect(result.credentials).toMatchObject({ appId: APP_ID, appCertificate: CERT, development: false });
    await expect(stat(join(dataDir, 'dev-credentials.json'))).rejects.toThrow(/ENOENT/);
  });
});

describe('toAppConfig', () => {
  it("converts the environment once: seconds to milliseconds, the storage to Agora's shape, every edge setting carried", () => {
    const parsed = parseConfig({
      ...STORAGE_ENV,
      STORAGE_ENDPOINT: 'https://s3.example.com',
      POLL_INTERVAL_SECONDS: '3',
      WATCHDOG_INTERVAL_SECONDS: '7',
      AGORA_FAILOVER_WINDOW_SECONDS: '40',
      START_SETTLE_SECONDS: '20',
      RECORDER_UID_MIN: '10',
      RECORDER_UID_MAX: '20',
      RATE_LIMIT_TOKENS_PER_MINUTE: '30',
      PUBLIC_URL: 'https://api.example.com',
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const config = toAppConfig(parsed.config, { appId: APP_ID, appCertificate: CERT, webhookSecret: 'a-webhook-secret' });
    expect(config.recording).toEqual({
      storage: {
        vendor: 1,
        region: 0,
        bucket: 'b',
        accessKey: 'ak',
        secretKey: 'sk',
        extensionParams: { endpoint: 'https://s3.example.com' },
      },
      uidRange: { min: 10, max: 20 },
      defaultMaxDurationSeconds: 3 * 3600,
      watchdogIntervalMs: 7_000,
      pollIntervalMs: 3_000,
      confirmDelayMs: 3_000,
      failoverWindowMs: 40_000,
      startSettleMs: 20_000,
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      appId: APP_ID,
      appCertificate: CERT,
      webhookSecret: 'a-webhook-secret',
      publicUrl: 'https://api.example.com',
      rateLimits: { tokensPerMinute: 30, startsPerMinute: 10, ipMultiplier: 5 },
      maxBodyBytes: 1024 * 1024,
      shutdownTimeoutMs: 10_000,
    });
  });

  it("confirms a start 5 s after it when polls are slower, and records to the emulator's local bucket without storage", () => {
    const parsed = parseConfig({});
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const config = toAppConfig(parsed.config, { appId: APP_ID, appCertificate: CERT, webhookSecret: undefined });
    expect(config.recording).toMatchObject({
      pollIntervalMs: 30_000,
      confirmDelayMs: 5_000,
      storage: { vendor: 1, region: 0, bucket: 'local' },
    });
    expect(config).not.toHaveProperty('webhookSecret');
  });
});
