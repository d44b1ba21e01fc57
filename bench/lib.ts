import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';

export const APP_ID = '970ca35de60c44645bbae8a215061b33';
export const CERT = '5cfd2fd1755d40ecb72977518be15d3b';
const ROOT = new URL('..', import.meta.url).pathname;

export interface Started {
  child: ChildProcess;
  line: Record<string, unknown>;
  stop(): Promise<void>;
}

/**
 * With BENCH_PIN (default on when taskset exists and there are 2+ cores): servers run on core 0
 * and the bench process (the load generator) on core 1, so the load generator never takes the
 * server's core; the baseline and ours are pinned alike.
 */
const PIN = process.env.BENCH_PIN !== '0' && existsSync('/usr/bin/taskset') && availableParallelism() >= 2;
export const pinned = PIN;
if (PIN) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

/** The node flags of `pnpm start` (package.json), so the benches run the server as it runs in production. */
const START_FLAGS =
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.match(/--[\w-]+=\S+/g) ??
  [];

/**
 * A bench's TypeScript server (a baseline) bundled into one plain JavaScript file, as the real
 * server is built (esbuild, from the server package, where it is installed): run through tsx it
 * would pay tsx's `keepNames` helper on every closure it makes per request, which the built real
 * server does not.
 */
export function bundle(entry: string): string {
  const esbuild = createRequire(join(ROOT, 'server/package.json'))('esbuild') as { buildSync(options: Record<string, unknown>): unknown };
  const outfile = join(mkdtempSync(join(tmpdir(), 'bench-built-')), 'server.cjs');
  esbuild.buildSync({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * Starts an entry point and waits for the first JSON line matching: a TypeScript file through tsx
 * (no watch), a built JavaScript file (`.js`, `.cjs`: the real server's dist, a bundle()) as is.
 */
export async function startProcess(
  entry: string,
  env: Record<string, string>,
  match: (line: Record<string, unknown>) => boolean,
  nodeFlags: string[] = [],
): Promise<Started> {
  const path = isAbsolute(entry) ? entry : join(ROOT, entry);
  const command = [process.execPath, ...nodeFlags, ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []), path];
  const [file, ...args] = PIN ? ['taskset', '-c', '0', ...command] : command;
  const child = spawn(file!, args, {
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${entry} exited (${code}) before it was ready`)));
    lines.on('line', (text) => {
      try {
        const parsed = JSON.parse(text) as Record<string, unknown>;
        if (match(parsed)) resolve(parsed);
      } catch {
        // not JSON
      }
    });
  });
  return {
    child,
    line,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * The real server as `pnpm start` runs it — built (`node server/scripts/build.mjs`, the first step
 * of `pnpm start`), then `node server/dist/main.js` — tuned only so the bench is not rate-limited;
 * optionally from another checkout and with extra node flags (bench/cpu-per-request.ts).
 */
export function startServer(extraEnv: Record<string, string> = {}, from: { root?: string; nodeFlags?: string[] } = {}) {
  // `root`: another checkout of this repository (a worktree of another commit), built the same way.
  const root = from.root ?? ROOT;
  execFileSync(process.execPath, [join(root, 'server/scripts/build.mjs')], { stdio: 'ignore' });
  return startProcess(
    join(root, 'server/dist/main.js'),
    {
      PORT: '0',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-server-')),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      AGORA_APP_ID: APP_ID,
      AGORA_APP_CERTIFICATE: CERT,
      RATE_LIMIT_TOKENS_PER_MINUTE: '1000000',
      RATE_LIMIT_STARTS_PER_MINUTE: '1000000',
      ...extraEnv,
    },
    (line) => String(line.msg).startsWith('Listening on'),
    [...START_FLAGS, ...(from.nodeFlags ?? [])],
  );
}

/** CPU time (user + system) the process has used so far, in ms, from /proc (Linux). */
export function cpuTimeMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

export { median, percentile, printTable } from './report.js';
