/**
 * What a caller may do: `token` mints tokens, `record` drives recordings (and transcriptions),
 * `agent` drives Conversational AI agents, `moderate` sees who is in channels and kicks or bans,
 * `admin` may do anything.
 */
export type Scope = 'token' | 'record' | 'agent' | 'moderate' | 'admin';
export const SCOPES: readonly Scope[] = ['token', 'record', 'agent', 'moderate', 'admin'];

/** The authenticated identity behind a request, the same over HTTP, WebSocket and SSE. */
export interface Caller {
  /** The caller's uid or user id (JWT `sub`, or the API key's subject). */
  id: string;
  scopes: ReadonlySet<Scope>;
  /** Channel names or `*` patterns the caller may use; empty = none. */
  channels: readonly string[];
}

export const isAdmin = (caller: Caller) => caller.scopes.has('admin');

/** `room-*` matches `room-1`; `*` matches every channel. Other characters match themselves. */
export function channelMatches(pattern: string, channel: string): boolean {
  if (pattern === '*') return true;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(channel);
}

export function mayUseChannel(caller: Caller, channel: string): boolean {
  return isAdmin(caller) || caller.channels.some((pattern) => channelMatches(pattern, channel));
}

/** The operator on a loopback address with AUTH_MODE=none: may do everything. */
export const LOCAL_OPERATOR: Caller = { id: 'local', scopes: new Set(SCOPES), channels: ['*'] };
