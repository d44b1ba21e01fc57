import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { storageFor, type EnvConfig } from './config.js';
import type { AgoraCredentials } from './credentials.js';
import { createAgoraClient, createSlidingWindowBudget, type AgoraClient, type AgoraClientOptions, type RateBudget } from './agora/index.js';
import { createEmulator, type Emulator } from '@agora-backend/emulator';
import type { Logger } from './logger.js';
import { join } from 'node:path';
import {
  createBucketStorage,
  createEmbeddedStorage,
  createLinkSigner,
  createUnlinkedStorage,
  loadLinkSecret,
  type LinkSigner,
  type RecordingStorage,
} from './storage/index.js';

export interface Upstream {
  agora: AgoraClient;
  /** Set when no Agora REST credentials are configured: recordings go to the built-in emulator. */
  emulator: Emulator | undefined;
  close(): Promise<void>;
}

/**
 * Where Cloud Recording calls go. With REST credentials: Agora (or AGORA_API_URL). Without: an
 * emulator of Agora's API started in-process, with one-off REST credentials that never leave it.
 */
export async function createUpstream(
  config: EnvConfig,
  credentials: AgoraCredentials,
  deps: { clock: Clock; logger: Logger; rateBudget?: RateBudget; onCall?: AgoraClientOptions['onCall']; userAgent?: string },
): Promise<Upstream> {
  if (credentials.customerId !== undefined && credentials.customerSecret !== undefined) {
    const agora = createAgoraClient({
      appId: credentials.appId,
      customerId: credentials.customerId,
      customerSecret: credentials.customerSecret,
      ...(config.agora.apiUrl ? { baseUrls: [config.agora.apiUrl] } : {}),
      rateBudget:
        deps.rateBudget ?? createSlidingWindowBudget({ limit: config.agora.requestsPerSecond, windowMs: 1_000, clock: deps.clock }),
      clock: deps.clock,
      logger: deps.logger.child({ component: 'agora' }),
      ...(deps.onCall ? { onCall: deps.onCall } : {}),
      ...(deps.userAgent ? { userAgent: deps.userAgent } : {}),
    });
    return { agora, emulator: undefined, close: () => Promise.resolve() };
  }
  const customerId = `emulator-${randomBytes(4).toString('hex')}`;
  const customerSecret = randomBytes(24).toString('hex');
  const emulator = createEmulator({
    appId: credentials.appId,
    appCertificate: credentials.appCertificate,
    customerId,
    customerSecret,
    storageDir: config.emulator.storageDir,
    port: config.emulator.port,
    channelEvents: config.emulator.channelEvents,
    clock: deps.clock,
    logger: deps.logger.child({ component: 'emulator' }),
  });
  const url = await emulator.listen();
  const agora = createAgoraClient({
    appId: credentials.appId,
    customerId,
    customerSecret,
    baseUrls: [url],
    rateBudget: createSlidingWindowBudget({ limit: config.agora.requestsPerSecond, windowMs: 1_000, clock: deps.clock }),
    clock: deps.clock,
    logger: deps.logger.child({ component: 'agora' }),
    ...(deps.onCall ? { onCall: deps.onCall } : {}),
  });
  return { agora, emulator, close: () => emulator.close() };
}

/** Where recordings are read back from, and the signer of this server's /files links. */
export interface ReadBack {
  files: RecordingStorage;
  /** `root`: the embedded folder the server itself serves; without it, /files redirects to the bucket. */
  links: { signer: LinkSigner; root: string | undefined };
}

/**
 * With the embedded emulator, its storage folder, linked through this server; otherwise the
 * operator's bucket (presigned links for S3 and S3-compatible storage). The links' secret is kept
 * in DATA_DIR either way.
 */
export async function readBackStorage(config: EnvConfig, upstream: Upstream, clock: Clock): Promise<ReadBack> {
  const signer = createLinkSigner(await loadLinkSecret(config.dataDir));
  if (upstream.emulator) {
    const root = join(config.emulator.storageDir, storageFor(config).bucket);
    return { files: createEmbeddedStorage({ root, signer, clock }), links: { signer, root } };
  }
  const files = config.storage ? createBucketStorage(config.storage, clock) : createUnlinkedStorage('no storage is configured (STORAGE_*)');
  return { files, links: { signer, root: undefined } };
}
