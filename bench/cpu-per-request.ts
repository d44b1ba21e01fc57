/**
 * Server CPU per request of one token surface, for several builds side by side with the ceiling
 * server (issue 35's A/B: how each step of bench/README.md's token rounds was checked). Each
 * server pinned to core 0, autocannon on core 1 (50 connections, 30,000 requests to warm up, then
 * BENCH_ROUNDS rounds of 40,000), the servers alternating within each round; user + system CPU per
 * request from /proc. The minimum of the rounds is printed: on a shared machine it is the least
 * disturbed; compare builds only within one run.
 *
 *   pnpm bench:cpu [trpc|rest|tutorial]
 *     BENCH_BUILDS="before=/work/wt-before,after=."   checkouts of this repository (a git worktree
 *                                                     of another commit), each built and started
 *                                                     as `pnpm start` does; default: this one
 *     BENCH_ROUNDS=3
 *     BENCH_PERF=dir   then one more round per server under `perf record -g`, not counted, into
 *                      dir/<name>.data (the servers run with --perf-basic-prof, so V8's compiled
 *                      code has names); read with `perf report -i dir/<name>.data --no-children
 *                      -n --sort sym` (samples × 250 µs ÷ 40,000 = µs a request)
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { bundle, cpuTimeMs, printTable, startProcess, startServer, type Started } from './lib.js';

const SURFACES = {
  trpc: { path: '/trpc/token.generate', body: JSON.stringify({ json: { channel: 'bench', uid: 4242, expireSeconds: 3600 } }) },
  rest: { path: '/api/v1/tokens', body: JSON.stringify({ channel: 'bench', uid: 4242, expireSeconds: 3600 }) },
  tutorial: { path: '/api/token.json', body: JSON.stringify({ channel: 'bench', uid: 4242, role: 'publisher', expireTime: 3600 }) },
} as const;
const surfaceName = process.argv[2] ?? 'rest';
if (!(surfaceName in SURFACES)) throw new Error(`surface: one of ${Object.keys(SURFACES).join(', ')}`);
const surface = SURFACES[surfaceName as keyof typeof SURFACES];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PERF_DIR = process.env.BENCH_PERF ? resolve(process.env.BENCH_PERF) : undefined;
if (PERF_DIR) mkdirSync(PERF_DIR, { recursive: true });
const builds = (process.env.BENCH_BUILDS ?? 'this=.').split(',').map((entry) => {
  const [name, root] = entry.split('=');
  if (!name || !root) throw new Error(`BENCH_BUILDS: name=checkout, got ${JSON.stringify(entry)}`);
  return { name, root: resolve(root) };
});

interface Measured {
  name: string;
  server: Started;
  url: string;
  body: string;
  rounds: number[];
}

const perfFlags = PERF_DIR ? ['--perf-basic-prof'] : [];
const measured: Measured[] = [];
for (const build of builds) {
  const server = await startServer({}, { root: build.root, nodeFlags: perfFlags });
  const base = String(server.line.url).replace(/\/trpc$/, '');
  measured.push({ name: build.name, server, url: `${base}${surface.path}`, body: surface.body, rounds: [] });
}
const ceiling = await startProcess(bundle('bench/ceiling-token-server.ts'), {}, (line) => typeof line.url === 'string', perfFlags);
measured.push({ name: 'ceiling', server: ceiling, url: String(ceiling.line.url), body: SURFACES.tutorial.body, rounds: [] });

/** Loads one server with `amount` requests; its CPU µs per request, recorded by perf when asked. */
async function load(target: Measured, amount: number, record: boolean): Promise<number> {
  const pid = target.server.child.pid!;
  const perf =
    record && PERF_DIR
      ? spawn('perf', ['record', '-F', '4000', '-g', '-p', String(pid), '-o', join(PERF_DIR, `${target.name}.data`)], { stdio: 'ignore' })
      : undefined;
  if (perf) await new Promise((settle) => setTimeout(settle, 300));
  const before = cpuTimeMs(pid);
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: target.body,
    connections: 50,
    amount,
  });
  const cpuMs = cpuTimeMs(pid) - before;
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((settle) => perf.once('exit', settle));
  }
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return (cpuMs * 1000) / result.requests.total;
}

for (const target of measured) await load(target, 30_000, false);
for (let round = 0; round < ROUNDS; round++) {
  for (const target of measured) target.rounds.push(await load(target, 40_000, false));
}
// perf's sampling costs the server CPU too: its round is one more, not counted.
if (PERF_DIR) for (const target of measured) await load(target, 40_000, true);
await Promise.all(measured.map((target) => target.server.stop()));

const top = Math.min(...measured.find((target) => target.name === 'ceiling')!.rounds);
printTable(
  `server CPU per request, ${surfaceName} (${ROUNDS} rounds of 40,000: the least, then every round)`,
  measured.map((target): [string, string] => {
    const least = Math.min(...target.rounds);
    return [
      target.name,
      `${least.toFixed(1)} µs  (${target.rounds.map((value) => value.toFixed(1)).join(' / ')})  ceiling ÷ it ${(top / least).toFixed(2)}`,
    ];
  }),
);
if (PERF_DIR) console.log(`perf records in ${PERF_DIR}`);
