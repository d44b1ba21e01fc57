/**
 * agoractl: the Agora backend from a terminal or a script.
 * Exit codes: 0 done, 1 bad usage or input, 2 server or upstream failure.
 */
import { parseArgs } from 'node:util';
import { TRPCClientError } from '@trpc/client';
import { agent, AgentUsageError, AGENT_USAGE } from './cli-agent.js';
import { channel, ChannelUsageError, CHANNEL_USAGE } from './cli-channel.js';
import { printWarnings } from './cli-task.js';
import { transcribe, TranscribeUsageError, TRANSCRIBE_USAGE } from './cli-transcribe.js';
import { downloadFiles } from './download.js';
import { closeClient, createClient, getAgoraError, watchRecording, type AgoraBackendClient } from './node.js';

const USAGE = `Usage: agoractl <command> [options]

Commands:
  token --channel <name> --uid <uid> [--role publisher|subscriber] [--expire <seconds>]
  token --kind rtm|chat [--user-id <id>] [--expire <seconds>]
  start --channel <name> [--uid <uid>] [--mode mix|individual|web] [--max-duration <seconds>]
        [--mp4] [--page-url <url>] [--snapshots <seconds>] [--snapshots-only]
  query <recording-id>
  files <recording-id> [--expire <seconds>]
                              the recording's files in the bucket, each with a link
  download <recording-id> [--dir <folder>]
                              downloads every file (default folder: the recording id)
  stop <recording-id>
  list [--channel <name>] [--state <state>] [--limit <n>]
  watch <recording-id>        a live status line until the recording ends
${TRANSCRIBE_USAGE}
${AGENT_USAGE}
${CHANNEL_USAGE}

Options:
  --url <url>        the server's tRPC URL (env AGORACTL_URL; default http://127.0.0.1:4000/trpc)
  --api-key <key>    credentials (env AGORACTL_API_KEY)
  --json             machine-readable output
  -h, --help         this text
`;

export const EXIT = { ok: 0, usage: 1, failure: 2 } as const;

class UsageError extends Error {}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /** Aborted on Ctrl-C (SIGINT): `channel watch` ends then with exit 0. */
  signal?: AbortSignal;
}

const INPUT_CODES = new Set(['BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'PRECONDITION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN']);

function spinner(io: Io, label: string) {
  if (!io.isTTY) return { stop: () => undefined };
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let index = 0;
  const timer = setInterval(() => io.err(`\r${frames[index++ % frames.length]!} ${label}`), 80);
  return {
    stop: () => {
      clearInterval(timer);
      io.err('\r\x1b[K');
    },
  };
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number`);
  return Number(value);
}

function print(io: Io, json: boolean, value: unknown, human: () => string) {
  io.out(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

async function run(
  command: string,
  positionals: string[],
  values: Record<string, string | boolean | undefined>,
  client: AgoraBackendClient,
  io: Io,
  url: string,
): Promise<number> {
  const json = values.json === true;
  const str = (name: string) => (typeof values[name] === 'string' ? values[name] : undefined);
  const idArg = () => {
    const id = positionals[0];
    if (!id) throw new UsageError(`${command} needs a recording id`);
    return id;
  };

  switch (command) {
    case 'token': {
      const kind = str('kind') ?? 'rtc';
      const expireSeconds = number(str('expire'), 'expire');
      const input =
        kind === 'rtc'
          ? {
              kind: 'rtc' as const,
              channel: str('channel') ?? '',
              uid: str('uid') ?? '',
              ...(str('role') ? { role: str('role') as 'publisher' } : {}),
            }
          : kind === 'rtm'
            ? { kind: 'rtm' as const, userId: str('user-id') ?? '' }
            : { kind: 'chat' as const, ...(str('user-id') ? { userId: str('user-id')! } : {}) };
      if (kind === 'rtc' && (!str('channel') || str('uid') === undefined)) throw new UsageError('token needs --channel and --uid');
      const result = await client.token.generate.mutate({ ...input, ...(expireSeconds !== undefined ? { expireSeconds } : {}) });
      print(io, json, result, () => result.token);
      return EXIT.ok;
    }
    case 'start': {
      if (!str('channel')) throw new UsageError('start needs --channel');
      const progress = spinner(io, 'starting recording…');
      try {
        const result = await client.recording.start.mutate({
          channel: str('channel')!,
          ...(str('uid') ? { uid: str('uid')! } : {}),
          ...(str('mode') ? { mode: str('mode') as 'mix' } : {}),
          ...(str('max-duration') ? { maxDurationSeconds: number(str('max-duration'), 'max-duration')! } : {}),
          ...(values.mp4 === true ? { fileTypes: ['hls', 'mp4'] as ('hls' | 'mp4')[] } : {}),
          ...(str('page-url') ? { pageUrl: str('page-url')! } : {}),
          ...snapshotsOption(str('snapshots'), values['snapshots-only'] === true),
        });
        progress.stop();
        print(
          io,
          json,
          result,
          () => `${result.id}\t${result.state}\tchannel=${result.channel} uid=${result.uid} mode=${result.mode} sid=${result.sid}`,
        );
        printWarnings(result.warnings, json, io.err);
      } finally {
        progress.stop();
      }
      return EXIT.ok;
    }
    case 'query': {
      const result = await client.recording.query.query({ id: idArg() });
      print(
        io,
        json,
        result,
        () =>
          `${result.id}\t${result.state}\tagoraStatus=${result.agoraStatus ?? '-'} files=${result.files.length}${result.files.map((file) => `\n  ${file.fileName}`).join('')}`,
      );
      return EXIT.ok;
    }
    case 'stop': {
      const progress = spinner(io, 'stopping recording (waiting for the upload)…');
      try {
        const result = await client.recording.stop.mutate({ id: idArg() });
        progress.stop();
        // The state Agora confirmed (stopping while it cannot yet, failed with its reason), not a fixed word.
        const reason = result.lastError ? ` (${result.lastError.message})` : '';
        print(
          io,
          json,
          result,
          () =>
            `${result.id}\t${result.state}${result.alreadyStopped ? ' (already)' : ''}${reason}\tupload=${result.uploadingStatus ?? '-'}${result.files.map((file) => `\n  ${file.fileName}`).join('')}`,
        );
      } finally {
        progress.stop();
      }
      return EXIT.ok;
    }
    case 'list': {
      const result = await client.recording.list.query({
        ...(str('channel') ? { channel: str('channel')! } : {}),
        ...(str('state') ? { state: str('state') as 'recording' } : {}),
        ...(str('limit') ? { limit: number(str('limit'), 'limit')! } : {}),
      });
      print(io, json, result, () =>
        result.items.length === 0
          ? '(no recordings)'
          : result.items
              .map((item) => `${item.id}\t${item.state}\t${item.channel}\tuid=${item.uid}\t${item.createdAt.toISOString()}`)
              .join('\n'),
      );
      return EXIT.ok;
    }
    case 'files':
      return listFiles(client, idArg(), number(str('expire'), 'expire'), json, io);
    case 'download':
      return download(client, idArg(), str('dir'), json, io);
    case 'transcribe':
      return transcribe(client, positionals, values, io);
    case 'agent':
      return agent(client, positionals, values, io);
    case 'channel':
      return channel(client, positionals, values, io);
    case 'watch': {
      const id = idArg();
      return new Promise<number>((resolve) => {
        const handle = watchRecording(client, id, {
          onEvent: (event) => {
            if (json) io.out(`${JSON.stringify(event)}\n`);
            else if (io.isTTY)
              io.err(
                `\r\x1b[K${event.at.toISOString()} ${event.state} (Agora status ${event.agoraStatus ?? '-'}, ${event.files.length} files)`,
              );
            else io.out(`${event.at.toISOString()}\t${event.state}\t${event.agoraStatus ?? '-'}\t${event.files.length}\n`);
          },
          onEnd: (last) => {
            if (io.isTTY && !json) io.err('\n');
            if (!json && io.isTTY) io.out(`${id}\t${last?.state ?? 'ended'}\n`);
            resolve(EXIT.ok);
          },
          onError: (error) => {
            handle.stop();
            resolve(report(error, io, url));
          },
        });
      });
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function snapshotsOption(interval: string | undefined, only: boolean) {
  if (interval === undefined && !only) return {};
  return { snapshots: { ...(interval !== undefined ? { intervalSeconds: number(interval, 'snapshots')! } : {}), only } };
}

const size = (bytes: number | null) => (bytes === null ? '-' : bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);

async function listFiles(
  client: AgoraBackendClient,
  id: string,
  expiresInSeconds: number | undefined,
  json: boolean,
  io: Io,
): Promise<number> {
  const result = await client.recording.files.query({ id, ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}) });
  print(io, json, result, () =>
    result.files.length === 0
      ? '(no files yet)'
      : result.files
          .map(
            (file) => `${file.kind}	${size(file.size)}	${file.fileName}
  ${file.url ?? `(no link: ${file.unavailableReason ?? 'unknown'})`}`,
          )
          .join('\n'),
  );
  return EXIT.ok;
}

async function download(client: AgoraBackendClient, id: string, dir: string | undefined, json: boolean, io: Io): Promise<number> {
  const { files } = await client.recording.files.query({ id });
  const outcomes = await downloadFiles(files, dir ?? id);
  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  print(io, json, outcomes, () =>
    [
      ...outcomes.map((outcome) =>
        outcome.error === undefined ? `${size(outcome.bytes)}	${outcome.path!}` : `failed	${outcome.fileName}: ${outcome.error}`,
      ),
      `${outcomes.length - failed.length} of ${outcomes.length} files downloaded to ${dir ?? id}`,
    ].join('\n'),
  );
  return failed.length > 0 ? EXIT.failure : EXIT.ok;
}

/** The deepest message of an error's causes: `connect ECONNREFUSED 127.0.0.1:9` rather than fetch's "fetch failed". */
function rootMessage(error: unknown): string {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth++) {
    current = current.cause;
    if (current instanceof Error && current.message) message = current.message;
  }
  return message;
}

function report(error: unknown, io: Io, url: string): number {
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: string } | null | undefined;
    const agora = getAgoraError(error);
    if (!data?.code) {
      // No answer from the server at all: say where we looked, and how to look elsewhere.
      io.err(`agoractl: cannot reach the server at ${url}: ${rootMessage(error)} (is it running? --url or AGORACTL_URL names another)\n`);
      return EXIT.failure;
    }
    io.err(
      `agoractl: ${error.message}${agora ? ` [Agora ${agora.code ?? agora.httpStatus}${agora.reason ? `: ${agora.reason}` : ''}]` : ''}\n`,
    );
    return INPUT_CODES.has(data.code) ? EXIT.usage : EXIT.failure;
  }
  io.err(`agoractl: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT.failure;
}

/** Runs one command line; returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        channel: { type: 'string' },
        uid: { type: 'string' },
        role: { type: 'string' },
        kind: { type: 'string' },
        'user-id': { type: 'string' },
        expire: { type: 'string' },
        mode: { type: 'string' },
        'max-duration': { type: 'string' },
        mp4: { type: 'boolean' },
        'page-url': { type: 'string' },
        snapshots: { type: 'string' },
        'snapshots-only': { type: 'boolean' },
        dir: { type: 'string' },
        state: { type: 'string' },
        limit: { type: 'string' },
        languages: { type: 'string' },
        translate: { type: 'string' },
        speakers: { type: 'string' },
        'max-idle': { type: 'string' },
        slice: { type: 'string' },
        'no-captions': { type: 'boolean' },
        profile: { type: 'string' },
        listen: { type: 'string' },
        greeting: { type: 'string' },
        var: { type: 'string' },
        label: { type: 'string' },
        priority: { type: 'string' },
        'no-interrupt': { type: 'boolean' },
        'ban-seconds': { type: 'string' },
        seconds: { type: 'string' },
        reason: { type: 'string' },
        ip: { type: 'string' },
        privileges: { type: 'string' },
      },
    });
  } catch (error) {
    io.err(`agoractl: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const [command, ...positionals] = parsed.positionals;
  if (parsed.values.help || !command) {
    (command ? io.out : io.err)(USAGE);
    return parsed.values.help ? EXIT.ok : EXIT.usage;
  }
  const url = parsed.values.url ?? io.env.AGORACTL_URL ?? 'http://127.0.0.1:4000/trpc';
  const apiKey = parsed.values['api-key'] ?? io.env.AGORACTL_API_KEY;
  let client: AgoraBackendClient;
  try {
    client = createClient({ url, ...(apiKey ? { auth: apiKey } : {}) });
  } catch (error) {
    io.err(`agoractl: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
  try {
    return await run(command, positionals, parsed.values, client, io, url);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof TranscribeUsageError ||
      error instanceof AgentUsageError ||
      error instanceof ChannelUsageError
    ) {
      io.err(`agoractl: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    return report(error, io, url);
  } finally {
    await closeClient(client);
  }
}

const invokedDirectly = process.argv[1] !== undefined && /cli\.(ts|js)$|agoractl/.test(process.argv[1]);
if (invokedDirectly) {
  // Ctrl-C ends a command that runs until interrupted (channel watch) cleanly; others exit as usual.
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  main(process.argv.slice(2), {
    signal: interrupt.signal,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    isTTY: process.stdout.isTTY,
    env: process.env,
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`agoractl: ${String(error)}\n`);
      process.exit(EXIT.failure);
    },
  );
}
