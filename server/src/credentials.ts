import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { EnvConfig } from './config.js';

/** The App ID and certificate every token is signed with. */
export interface AgoraCredentials {
  appId: string;
  appCertificate: string;
  /** REST credentials for Cloud Recording; absent means the built-in emulator is used. */
  customerId: string | undefined;
  customerSecret: string | undefined;
  /** True when the App ID and certificate were made up locally (no Agora account configured). */
  development: boolean;
}

const DEV_CREDENTIALS_FILE = 'dev-credentials.json';

const DevCredentialsFile = z.object({
  appId: z.string().regex(/^[0-9a-f]{32}$/),
  appCertificate: z.string().regex(/^[0-9a-f]{32}$/),
});

/**
 * Real credentials when configured; otherwise a development App ID and certificate, created once
 * and kept under `dataDir` so tokens issued before a restart still verify after it.
 */
export async function resolveCredentials(
  config: EnvConfig,
): Promise<{ credentials: AgoraCredentials; createdFile: string | undefined; file: string | undefined }> {
  const { appId, appCertificate, customerId, customerSecret } = config.agora;
  if (appId !== undefined && appCertificate !== undefined) {
    return {
      credentials: { appId, appCertificate, customerId, customerSecret, development: false },
      createdFile: undefined,
      file: undefined,
    };
  }
  const file = join(config.dataDir, DEV_CREDENTIALS_FILE);
  const existing = await readDevCredentials(file);
  if (existing) {
    return { credentials: { ...existing, customerId, customerSecret, development: true }, createdFile: undefined, file };
  }
  const created = {
    appId: randomBytes(16).toString('hex'),
    appCertificate: randomBytes(16).toString('hex'),
  };
  await mkdir(config.dataDir, { recursive: true });
  // 0600: the certificate signs tokens; other local users have no business reading it.
  await writeFile(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600, flag: 'wx' }).catch(
    (error: unknown) => {
      // Another process created it between our read and write: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    },
  );
  const stored = await readDevCredentials(file);
  if (!stored) throw new Error(`${file} exists but does not hold a development App ID and certificate`);
  return { credentials: { ...stored, customerId, customerSecret, development: true }, createdFile: file, file };
}

async function readDevCredentials(file: string) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON; delete it to create new development credentials`);
  }
  const parsed = DevCredentialsFile.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${file} does not hold a development App ID and certificate; delete it to create new ones`);
  }
  return parsed.data;
}
