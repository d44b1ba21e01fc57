import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A development App ID and certificate, made once and kept in `<dataDir>/dev-credentials.json`
 * (mode 0600), so that an emulator and a server sharing DATA_DIR sign and check the same tokens
 * with no Agora account, across restarts.
 */
export interface DevCredentials {
  appId: string;
  appCertificate: string;
  file: string;
  /** True when this call made the file. */
  created: boolean;
}

export const DEV_CREDENTIALS_FILE = 'dev-credentials.json';
const HEX32 = /^[0-9a-f]{32}$/;

export async function loadDevCredentials(dataDir: string): Promise<DevCredentials> {
  const file = join(dataDir, DEV_CREDENTIALS_FILE);
  const existing = await readDevCredentials(file);
  if (existing) return { ...existing, file, created: false };
  const made = { appId: randomBytes(16).toString('hex'), appCertificate: randomBytes(16).toString('hex') };
  await mkdir(dataDir, { recursive: true });
  // 'wx': if another process made it between our read and write, theirs wins.
  const created = await writeFile(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600, flag: 'wx' }).then(
    () => true,
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return false;
    },
  );
  const stored = await readDevCredentials(file);
  if (!stored) throw new Error(`${file} exists but does not hold a development App ID and certificate`);
  return { ...stored, file, created };
}

async function readDevCredentials(file: string): Promise<{ appId: string; appCertificate: string } | undefined> {
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
  const value = json as { appId?: unknown; appCertificate?: unknown } | null;
  if (
    typeof value?.appId !== 'string' ||
    !HEX32.test(value.appId) ||
    typeof value.appCertificate !== 'string' ||
    !HEX32.test(value.appCertificate)
  ) {
    throw new Error(`${file} does not hold a development App ID and certificate; delete it to create new ones`);
  }
  return { appId: value.appId, appCertificate: value.appCertificate };
}
