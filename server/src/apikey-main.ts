/**
 * `pnpm apikey --id web --scopes token,record [--channels 'room-*,lobby'] [--subject 42]`:
 * makes a new API key, prints it once, and prints the API_KEYS entry that stores only its hash.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ApiKeyEntry, hashApiKey } from './auth/index.js';

const { values } = parseArgs({
  options: { id: { type: 'string' }, scopes: { type: 'string' }, channels: { type: 'string' }, subject: { type: 'string' } },
});
const key = `agk_${randomBytes(32).toString('base64url')}`;
const entry = ApiKeyEntry.safeParse({
  id: values.id,
  hash: hashApiKey(key),
  scopes: (values.scopes ?? '').split(',').filter(Boolean),
  ...(values.channels ? { channels: values.channels.split(',').filter(Boolean) } : {}),
  ...(values.subject ? { subject: values.subject } : {}),
});
if (!entry.success) {
  process.stderr.write(
    `usage: pnpm apikey --id <name> --scopes token,record,agent,moderate,admin [--channels 'room-*'] [--subject <uid>]\n${entry.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `API key (give it to the caller; it is not stored anywhere):\n  ${key}\n\nAdd this entry to the API_KEYS JSON list:\n  ${JSON.stringify(entry.data)}\n`,
);
