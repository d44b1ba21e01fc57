import type {
  BanPrivilege,
  ChannelBan,
  ChannelGetOutput,
  ChannelPresenceEvent,
  ChannelSession,
  ChannelUserOutput,
} from '@agora-backend/shared';
import type { CommandIo, Values } from './cli-task.js';
import type { AgoraBackendClient } from './index.js';
import { watchChannel } from './watch.js';

/** `agoractl channel …`: who is in a channel, and moderation (kick, ban, unban) from a terminal. */

export const CHANNEL_USAGE = `  channel list [--limit <n>]      channels you may moderate, with their user counts
  channel users <channel>         who is in it: uid, role, platform, since when
  channel kick <channel> <uid> [--ban-seconds <n>] [--reason <text>]
                              removes the user; keeps them out n seconds (default 60, 0: may rejoin)
  channel ban --seconds <n> [--channel <name>] [--uid <uid>] [--ip <address>]
        [--privileges join,publishAudio,publishVideo] [--reason <text>]
                              a ban rule (default privilege: join); seconds 0 or 10-86430
  channel bans                    the ban rules in force that you may see
  channel update-ban <ban-id> --seconds <n>
  channel unban <ban-id>
  channel watch <channel>         who is here, then one line per join, leave and role change (Ctrl-C ends)
  channel sessions <channel> [--uid <uid>] [--limit <n>]
                              each stay, newest first: uid, role, joined, left, duration`;

/** A refusal of the command line itself (exit 1). */
export class ChannelUsageError extends Error {}

const PRIVILEGES: readonly BanPrivilege[] = ['join', 'publishAudio', 'publishVideo'];
/** `channel users` asks for each user's details (one call each) for this many at most. */
export const USERS_DETAILED = 100;

const str = (values: Values, name: string) => (typeof values[name] === 'string' ? values[name] : undefined);

/** A whole number from the command line; the server checks its range and names the field. */
function wholeNumber(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new ChannelUsageError(`${what} must be a whole number`);
  return Number(value);
}

function privilegesOf(value: string | undefined): BanPrivilege[] {
  if (value === undefined) return ['join'];
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.find((name) => !PRIVILEGES.includes(name as BanPrivilege));
  if (unknown !== undefined || names.length === 0)
    throw new ChannelUsageError(`--privileges takes ${PRIVILEGES.join(', ')} (separated by commas)`);
  return names as BanPrivilege[];
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** `<id> <target> <privileges> until <time> [by <who>] [(<reason>)]`. */
export function banLine(ban: ChannelBan): string {
  const target = [ban.channel ? `channel=${ban.channel}` : '', ban.uid !== null ? `uid=${ban.uid}` : '', ban.ip ? `ip=${ban.ip}` : '']
    .filter(Boolean)
    .join(' ');
  return `${ban.id}\t${target}\t${ban.privileges.join(',')}\tuntil ${iso(ban.expiresAt)}${ban.createdBy ? `\tby ${ban.createdBy}` : ''}${ban.reason ? `\t(${ban.reason})` : ''}`;
}

/** Everyone in the channel with the role the channel's answer gives (communication users, or hosts then audience). */
function people(channel: ChannelGetOutput): { uid: number; role: string }[] {
  if (channel.profile === 'communication') return channel.users.map((uid) => ({ uid, role: 'communication' }));
  return [...channel.hosts.map((uid) => ({ uid, role: 'host' })), ...channel.audience.map((uid) => ({ uid, role: 'audience' }))];
}

/** `channel users`: each user as `<uid> <role> <platform> <since>`, with details for the first USERS_DETAILED. */
async function users(client: AgoraBackendClient, name: string, json: boolean, io: CommandIo): Promise<number> {
  const channel = await client.channel.get.query({ channel: name });
  const everyone = people(channel);
  const details = await Promise.all(everyone.slice(0, USERS_DETAILED).map(({ uid }) => client.channel.user.query({ channel: name, uid })));
  const byUid = new Map<number, ChannelUserOutput>(details.map((detail) => [detail.uid, detail]));
  if (json) {
    io.out(`${JSON.stringify({ ...channel, details }, null, 2)}\n`);
    return 0;
  }
  if (!channel.exists) {
    io.out(`(nobody is in channel ${name})\n`);
    return 0;
  }
  const lines = everyone.map(({ uid, role }) => {
    const detail = byUid.get(uid);
    const since = detail?.inChannel ? iso(detail.joinedAt) : '-';
    return `${uid}\t${detail?.role ?? role}\t${detail?.platform ?? '-'}\t${since}`;
  });
  io.out(`${lines.join('\n')}\n`);
  const left = channel.total - everyone.length;
  const notes = [
    everyone.length > USERS_DETAILED ? `details for the first ${USERS_DETAILED} users only` : '',
    left > 0 ? `${left} more audience members not listed (Agora lists ${channel.audienceListCap})` : '',
  ].filter(Boolean);
  if (notes.length > 0) io.err(`agoractl: ${channel.total} in channel ${name}; ${notes.join('; ')}\n`);
  return 0;
}

/** `1h02m03s`, `4m05s`, `12s`: a stay's length at a glance. */
export function duration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${pad(m)}m${pad(s)}s` : m > 0 ? `${m}m${pad(s)}s` : `${s}s`;
}

/** `<uid> <role> <joined> <left|here> <duration> [<leave reason>]`. */
export function sessionLine(session: ChannelSession): string {
  const left = session.leftAt === null ? 'here' : iso(session.leftAt);
  return `${session.uid}\t${session.role}\t${iso(session.joinedAt)}\t${left}\t${duration(session.durationMs)}${session.leaveReason ? `\t${session.leaveReason}` : ''}`;
}

/** One line per presence event: the snapshot as `<time> here <uid>:<role> …`, then `<time> join|leave|role <uid> <role> …`. */
export function presenceLine(event: ChannelPresenceEvent, now: number): string {
  switch (event.type) {
    case 'snapshot':
      return `${iso(now)}\there\t${event.members.length === 0 ? '(nobody)' : event.members.map((m) => `${m.uid}:${m.role}`).join(' ')}`;
    case 'join':
      return `${iso(event.at)}\tjoin\t${event.uid}\t${event.role}`;
    case 'leave':
      return `${iso(event.at)}\tleave\t${event.uid}\t${event.role}\t${event.reason}`;
    case 'role':
      return `${iso(event.at)}\trole\t${event.uid}\t${event.role}`;
  }
}

/**
 * `channel watch`: one line per event (snapshot first) until interrupted (0) or until the watch
 * fails in a way it cannot get past (thrown: no access, bad input). Same shape as watchToEnd, but a
 * channel's presence has no end, so the interrupt ends it.
 */
function watch(client: AgoraBackendClient, name: string, json: boolean, io: CommandIo): Promise<number> {
  return new Promise((resolve, reject) => {
    const handle = watchChannel(client, name, {
      onEvent: (event) => io.out(json ? `${JSON.stringify(event)}\n` : `${presenceLine(event, Date.now())}\n`),
      onError: (error) => {
        handle.stop();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    });
    const interrupted = () => {
      handle.stop();
      resolve(0);
    };
    if (io.signal?.aborted) interrupted();
    else io.signal?.addEventListener('abort', interrupted, { once: true });
  });
}

function banInput(values: Values) {
  const seconds = wholeNumber(str(values, 'seconds'), '--seconds');
  if (seconds === undefined) throw new ChannelUsageError('channel ban needs --seconds (0, or 10 to 86430)');
  const uid = wholeNumber(str(values, 'uid'), '--uid');
  return {
    ...(str(values, 'channel') ? { channel: str(values, 'channel')! } : {}),
    ...(uid !== undefined ? { uid } : {}),
    ...(str(values, 'ip') ? { ip: str(values, 'ip')! } : {}),
    privileges: privilegesOf(str(values, 'privileges')),
    seconds,
    ...(str(values, 'reason') ? { reason: str(values, 'reason')! } : {}),
  };
}

/** Runs `channel <action>`; resolves with the exit code (0 done). Errors from the server are thrown to the caller. */
export async function channel(client: AgoraBackendClient, args: string[], values: Values, io: CommandIo): Promise<number> {
  const [action, first, second] = args;
  const json = values.json === true;
  const print = (value: unknown, human: string) => io.out(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
  const need = (value: string | undefined, what: string) => {
    if (!value) throw new ChannelUsageError(`channel ${action ?? ''} needs ${what}`);
    return value;
  };
  switch (action) {
    case 'list': {
      const limit = wholeNumber(str(values, 'limit'), '--limit');
      const result = await client.channel.list.query(limit !== undefined ? { limit } : {});
      print(
        result,
        result.items.length === 0 ? '(no channels)' : result.items.map((item) => `${item.channel}\t${item.userCount}`).join('\n'),
      );
      return 0;
    }
    case 'users':
      return users(client, need(first, 'a channel'), json, io);
    case 'kick': {
      const name = need(first, 'a channel and a uid');
      const uid = wholeNumber(need(second, 'a channel and a uid'), 'the uid');
      const banSeconds = wholeNumber(str(values, 'ban-seconds'), '--ban-seconds');
      const result = await client.channel.kick.mutate({
        channel: name,
        uid: uid!,
        ...(banSeconds !== undefined ? { banSeconds } : {}),
        ...(str(values, 'reason') ? { reason: str(values, 'reason')! } : {}),
      });
      print(result, banLine(result));
      return 0;
    }
    case 'ban': {
      const result = await client.channel.ban.mutate(banInput(values));
      print(result, banLine(result));
      return 0;
    }
    case 'bans': {
      const result = await client.channel.bans.query();
      print(result, result.items.length === 0 ? '(no bans)' : result.items.map(banLine).join('\n'));
      return 0;
    }
    case 'update-ban': {
      const id = wholeNumber(need(first, 'a ban id'), 'the ban id')!;
      const seconds = wholeNumber(str(values, 'seconds'), '--seconds');
      if (seconds === undefined) throw new ChannelUsageError('channel update-ban needs --seconds (0, or 10 to 86430)');
      const result = await client.channel.updateBan.mutate({ id, seconds });
      print(result, `${result.id}\tuntil ${iso(result.expiresAt)}`);
      return 0;
    }
    case 'unban': {
      const result = await client.channel.unban.mutate({ id: wholeNumber(need(first, 'a ban id'), 'the ban id')! });
      print(result, `${result.id}\tremoved`);
      return 0;
    }
    case 'watch':
      return watch(client, need(first, 'a channel'), json, io);
    case 'sessions': {
      const name = need(first, 'a channel');
      const uid = wholeNumber(str(values, 'uid'), '--uid');
      const limit = wholeNumber(str(values, 'limit'), '--limit');
      const result = await client.channel.sessions.query({
        channel: name,
        ...(uid !== undefined ? { uid } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      print(
        result,
        result.items.length === 0
          ? `(no stays recorded in channel ${name})`
          : [...result.items.map(sessionLine), `total\t${duration(result.totalMs)}`].join('\n'),
      );
      return 0;
    }
    default:
      throw new ChannelUsageError(`unknown channel action "${action ?? ''}"`);
  }
}
