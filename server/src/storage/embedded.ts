import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Clock } from '../clock.js';
import type { LinkSigner } from './link-signer.js';
import type { RecordingStorage, StoredObject } from './types.js';

/** The path embedded file links live under. */
export const FILES_PATH = '/files';

/** `a/b c.ts` → `a/b%20c.ts`: each key segment escaped, the slashes kept. */
export const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

/**
 * What a link's signature covers: the folder of the object (a recording's prefix), not the file.
 * A playlist names its segments relative to itself, so a player resolves them to the same
 * signed folder: one link plays the whole recording, and opens nothing outside its folder.
 */
export const scopeOf = (key: string) => key.slice(0, Math.max(0, key.lastIndexOf('/')));

/** A path on this server that opens `key`'s folder until the expiry: `/files/<expires>-<signature>/<key>`. */
export function signedPath(signer: LinkSigner, clock: Clock, key: string, expiresInSeconds: number): { url: string; expiresAt: number } {
  const expiresAtSeconds = Math.floor(clock.now() / 1000) + expiresInSeconds;
  return {
    url: `${FILES_PATH}/${expiresAtSeconds}-${signer.sign(scopeOf(key), expiresAtSeconds)}/${encodeKey(key)}`,
    expiresAt: expiresAtSeconds * 1000,
  };
}

/**
 * The emulator's storage folder as a bucket: objects are files under `root`, links are signed
 * paths `/files/<expires>-<signature>/<key>` that this server answers (http/files.ts).
 */
export function createEmbeddedStorage(options: { root: string; signer: LinkSigner; clock: Clock }): RecordingStorage {
  const { root, signer, clock } = options;
  return {
    kind: 'embedded',
    async list(prefix) {
      const folder = join(root, ...prefix.split('/'));
      let entries;
      try {
        entries = await readdir(folder, { recursive: true, withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []; // nothing uploaded yet
        throw error;
      }
      const objects: StoredObject[] = [];
      for (const entry of entries) {
        if (!entry.isFile()) continue;
        const path = join(entry.parentPath, entry.name);
        const info = await stat(path).catch(() => undefined);
        if (info) objects.push({ key: relative(root, path).split(sep).join('/'), size: info.size, modifiedAt: info.mtimeMs });
      }
      return objects.sort((a, b) => (a.key < b.key ? -1 : 1));
    },
    link: (key, expiresInSeconds) => Promise.resolve(signedPath(signer, clock, key, expiresInSeconds)),
  };
}
