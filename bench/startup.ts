/**
 * `pnpm bench:startup`: how long the server takes from process start to its first GET /readyz
 * 200, and its resident memory once idle, run as `pnpm start` runs it (built JavaScript, plain
 * node) and as it ran before (the TypeScript sources through tsx); then the whole `pnpm start`
 * command, builds included. Each run is a restart on the same DATA_DIR (the first, not counted,
 * creates it). STARTUP_RUNS (default 5) runs per way; medians.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.STARTUP_RUNS ?? 5);
const IDLE_MS = 5_000;
const FLAGS = ['--max-semi-space-size=32'];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resident set size of one process, from /proc (Linux), in MiB. */
function rssMiB(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? NaN) / 1024;
}

/** Starts a command in its own process group; resolves once /readyz answers 200, with the time it took. */
async function startAndTime(command: string[], dataDir: string): Promise<{ child: ChildProcess; ms: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
    detached: true,
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command.join(' ')} exited (${child.exitCode}) before /readyz`);
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return { child, ms: performance.now() - started };
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** RUNS restarts of one way of running the server: median ms to ready and (for a bare node process) idle RSS. */
async function measure(label: string, command: string[], withRss: boolean): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  try {
    await stop((await startAndTime(command, dataDir)).child);
    const times: number[] = [];
    const rss: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const { child, ms } = await startAndTime(command, dataDir);
      times.push(ms);
      if (withRss) {
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        rss.push(rssMiB(child.pid!));
      }
      await stop(child);
    }
    const memory = withRss ? `${median(rss).toFixed(0)} MiB` : '–';
    return `| ${label} | ${median(times).toFixed(0)} ms (${Math.min(...times).toFixed(0)}–${Math.max(...times).toFixed(0)}) | ${memory} |`;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

execFileSync(process.execPath, [join(ROOT, 'server/scripts/build.mjs')], { stdio: 'inherit' });
const rows = [
  await measure(
    '`node server/dist/main.js` (built; what `pnpm start` runs)',
    [process.execPath, ...FLAGS, join(ROOT, 'server/dist/main.js')],
    true,
  ),
  await measure(
    '`node --import tsx server/src/main.ts` (the sources, as `pnpm start` ran them before)',
    [process.execPath, ...FLAGS, '--import', 'tsx', join(ROOT, 'server/src/main.ts')],
    true,
  ),
  await measure('`pnpm start` (builds the console, emulator and server first)', ['pnpm', 'start'], false),
];
console.log(`\nStartup to GET /readyz 200 (median of ${RUNS}, range) and RSS after ${IDLE_MS / 1000} s idle, embedded default:\n`);
console.log('| how | to /readyz | idle RSS |\n|---|---|---|');
for (const row of rows) console.log(row);
