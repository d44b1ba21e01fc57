import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the embedded file links' secret lives under DATA_DIR. */
export const LINK_SECRET_FILE = 'file-links.key';

/**
 * Signatures of embedded file links: HMAC-SHA256 over the folder they open and the expiry, so a
 * link cannot be pointed at another recording or made to last longer.
 */
export function createLinkSigner(secret: Buffer) {
  const sign = (scope: string, expiresAtSeconds: number) =>
    createHmac('sha256', secret).update(`${expiresAtSeconds}\n${scope}`).digest('base64url');
  return {
    sign,
    /** True when `signature` is the one `sign` gives for this folder and expiry. */
    verify(scope: string, expiresAtSeconds: number, signature: string): boolean {
      const expected = Buffer.from(sign(scope, expiresAtSeconds));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
export type LinkSigner = ReturnType<typeof createLinkSigner>;

/**
 * The secret from `DATA_DIR/file-links.key`, made on first use (readable by this user only).
 * Kept on disk so links survive a restart; delete the file to revoke every link.
 */
export async function loadLinkSecret(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, LINK_SECRET_FILE);
  await mkdir(dataDir, { recursive: true });
  try {
    // 'wx': two processes starting together cannot both write a secret; the loser reads the winner's.
    await writeFile(path, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = (await readFile(path, 'utf8')).trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${path} is not a file-link secret (64 hex digits); delete it to make a new one`);
  return Buffer.from(text, 'hex');
}
