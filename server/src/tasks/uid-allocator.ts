import { randomInt } from 'node:crypto';

/**
 * Picks a uid for a task's bot (a recorder, a transcriber, an agent) in [min, max] that none of `taken` uses. Random rather than sequential, so
 * that two servers allocating at once rarely pick the same one (the registry's unique index
 * settles the rare tie). Agora advises against reusing a uid right away (docs/agora.md, "Identity, uids and resource lifetime").
 */
export function allocateUid(range: { min: number; max: number }, taken: Set<string>): string | undefined {
  const size = range.max - range.min + 1;
  for (let attempt = 0; attempt < 32; attempt++) {
    const candidate = String(range.min + randomInt(0, Math.min(size, 2 ** 48 - 1)));
    if (!taken.has(candidate)) return candidate;
  }
  // A nearly full small range: walk it.
  for (let uid = range.min; uid <= range.max; uid++) if (!taken.has(String(uid))) return String(uid);
  return undefined;
}
