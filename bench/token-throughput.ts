/**
 * token.generate throughput against two baselines, in the same run, alternating rounds so machine
 * drift hits all alike: a bare node:http + agora-token server, and the ceiling (issue 35): a bare
 * node:http server building the token with our own encoder after the tutorial's checks
 * (ceiling-token-server.ts). Also raw agora-token builds/s in the bench process.
 *
 *   pnpm bench:tokens      (BENCH_SECONDS=5 per round, BENCH_ROUNDS=3, BENCH_CONNECTIONS=50)
 *
 * Last, the stall a hostile batch of the largest allowed size (MAX_BATCH_SIZE, default 100) causes.
 */
import autocannon from 'autocannon';
import agora from 'agora-token';
import { batchStall, HOSTILE_FRAME, VALID_FRAME } from './hostile-batch.js';
import { APP_ID, bundle, CERT, cpuTimeMs, median, pinned, printTable, startProcess, startServer, type Started } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BATCH = 10;
/** The server's MAX_BATCH_SIZE (its default unless set): the hostile batch is this large. */
const MAX_BATCH = Number(process.env.MAX_BATCH_SIZE ?? 100);

/** Loads `url` for SECONDS; also reads the server's CPU time, for its CPU cost per request. */
async function load(server: Started, url: string, body: string) {
  const cpuBefore = cpuTimeMs(server.child.pid!);
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  const cpuMs = cpuTimeMs(server.child.pid!) - cpuBefore;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuUs: (cpuMs * 1000) / result.requests.total };
}
type Run = Awaited<ReturnType<typeof load>>;

function ceiling(ms: number) {
  const { RtcTokenBuilder, RtcRole } = agora;
  const end = Date.now() + ms;
  let builds = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 100; i++) RtcTokenBuilder.buildTokenWithUid(APP_ID, CERT, 'bench', 1000 + i, RtcRole.PUBLISHER, 3600, 3600);
    builds += 100;
  }
  return (builds / ms) * 1000;
}

const input = { channel: 'bench', uid: 4242, expireSeconds: 3600 };
const bare = await startProcess(bundle('bench/bare-token-server.ts'), {}, (line) => typeof line.url === 'string');
const top = await startProcess(bundle('bench/ceiling-token-server.ts'), {}, (line) => typeof line.url === 'string');
const ours = await startServer({ MAX_BATCH_SIZE: String(MAX_BATCH) });
const bareUrl = String(bare.line.url);
const topUrl = String(top.line.url);
const trpcUrl = String(ours.line.url);
const single = JSON.stringify({ json: input });
const batchPath = `${trpcUrl}/${Array.from({ length: BATCH }, () => 'token.generate').join(',')}?batch=1`;
const batchBody = JSON.stringify(
  Object.fromEntries(Array.from({ length: BATCH }, (_, i) => [String(i), { json: { ...input, uid: 5000 + i } }])),
);

const baseUrl = trpcUrl.replace(/\/trpc$/, '');
const restUrl = `${baseUrl}/api/v1/tokens`;
const tutorialUrl = `${baseUrl}/api/token.json`;
const tutorialBody = JSON.stringify({ channel: 'bench', uid: 4242, role: 'publisher', expireTime: 3600 });

const runs = {
  bare: [] as Run[],
  top: [] as Run[],
  ours: [] as Run[],
  batched: [] as Run[],
  rest: [] as Run[],
  tutorial: [] as Run[],
  ceiling: [] as number[],
};
// Warm-up: JIT and connection pools.
await load(bare, bareUrl, JSON.stringify(input));
await load(top, topUrl, tutorialBody);
await load(ours, `${trpcUrl}/token.generate`, single);
await load(ours, batchPath, batchBody);
await load(ours, restUrl, JSON.stringify(input));
await load(ours, tutorialUrl, tutorialBody);
for (let round = 0; round < ROUNDS; round++) {
  runs.bare.push(await load(bare, bareUrl, JSON.stringify(input)));
  runs.top.push(await load(top, topUrl, tutorialBody));
  runs.ours.push(await load(ours, `${trpcUrl}/token.generate`, single));
  runs.batched.push(await load(ours, batchPath, batchBody));
  runs.rest.push(await load(ours, restUrl, JSON.stringify(input)));
  runs.tutorial.push(await load(ours, tutorialUrl, tutorialBody));
  // In the load generator's process, on its core, while both servers idle.
  runs.ceiling.push(ceiling(2_000));
}
const stall = await batchStall(baseUrl, MAX_BATCH, HOSTILE_FRAME);
const legit = await batchStall(baseUrl, MAX_BATCH, VALID_FRAME);
await bare.stop();
await top.stop();
await ours.stop();

const m = (list: Run[], key: 'rps' | 'p50' | 'p99' | 'cpuUs') => median(list.map((run) => run[key]));
/**
 * Ratios are taken within each round (its bare run, our runs and the ceiling back to back), then
 * the median over rounds: this shared machine's speed drifts between rounds by more than the
 * differences measured.
 */
const paired = (ratio: (round: number) => number) => median(runs.bare.map((_, round) => ratio(round)));
const singleRatio = paired((r) => runs.ours[r]!.rps / runs.bare[r]!.rps);
const batchedRatio = paired((r) => (runs.batched[r]!.rps * BATCH) / runs.bare[r]!.rps);
const ceilingRatio = paired((r) => (runs.batched[r]!.rps * BATCH) / runs.ceiling[r]!);
const restRatio = paired((r) => runs.rest[r]!.rps / runs.bare[r]!.rps);
const tutorialRatio = paired((r) => runs.tutorial[r]!.rps / runs.bare[r]!.rps);
// Against the ceiling server (issue 35's targets).
const topSingle = paired((r) => runs.ours[r]!.rps / runs.top[r]!.rps);
const topBatched = paired((r) => (runs.batched[r]!.rps * BATCH) / runs.top[r]!.rps);
const topRest = paired((r) => runs.rest[r]!.rps / runs.top[r]!.rps);
const topTutorial = paired((r) => runs.tutorial[r]!.rps / runs.top[r]!.rps);
// What the throughput ratios would be if both servers were bound by their own CPU alone.
const cpuSingle = m(runs.bare, 'cpuUs') / m(runs.ours, 'cpuUs');
const cpuBatched = m(runs.bare, 'cpuUs') / (m(runs.batched, 'cpuUs') / BATCH);
const mark = (ok: boolean) => (ok ? 'meets target' : 'BELOW TARGET');
const cpu = (list: Run[], per = 1) => `${(m(list, 'cpuUs') / per).toFixed(0)} µs`;
printTable(
  `token.generate throughput, ${CONNECTIONS} connections, ${ROUNDS}×${SECONDS} s rounds, medians${pinned ? ', server on core 0, load generator on core 1' : ''}`,
  [
    ['bare node:http + agora-token: requests/s', m(runs.bare, 'rps').toFixed(0)],
    ['bare latency p50 / p99', `${m(runs.bare, 'p50')} ms / ${m(runs.bare, 'p99')} ms`],
    ['bare server CPU per request', cpu(runs.bare)],
    ["ceiling: bare node:http + our encoder + the tutorial's checks: requests/s", m(runs.top, 'rps').toFixed(0)],
    ['ceiling latency p50 / p99', `${m(runs.top, 'p50')} ms / ${m(runs.top, 'p99')} ms`],
    ['ceiling server CPU per request', cpu(runs.top)],
    ['ours, one token per request: requests/s', m(runs.ours, 'rps').toFixed(0)],
    ['ours latency p50 / p99', `${m(runs.ours, 'p50')} ms / ${m(runs.ours, 'p99')} ms`],
    ['ours server CPU per request', cpu(runs.ours)],
    ['ratio ours / bare, per round (target ≥ 0.8)', `${singleRatio.toFixed(2)}  ${mark(singleRatio >= 0.8)}`],
    ['  the same from CPU per request (bare ÷ ours)', cpuSingle.toFixed(2)],
    [`ours, batched ${BATCH} per request: tokens/s`, (m(runs.batched, 'rps') * BATCH).toFixed(0)],
    ['batched latency p50 / p99', `${m(runs.batched, 'p50')} ms / ${m(runs.batched, 'p99')} ms`],
    ['batched server CPU per token', cpu(runs.batched, BATCH)],
    ['batched tokens/s ÷ bare requests/s, per round (target ≥ 2.5)', `${batchedRatio.toFixed(2)}  ${mark(batchedRatio >= 2.5)}`],
    ['  the same from CPU (bare per request ÷ ours per token)', cpuBatched.toFixed(2)],
    ['POST /api/v1/tokens: requests/s', `${m(runs.rest, 'rps').toFixed(0)}  (p50 ${m(runs.rest, 'p50')} ms, CPU ${cpu(runs.rest)})`],
    ['ratio /api/v1 / bare, per round (target ≥ 1.0)', `${restRatio.toFixed(2)}  ${mark(restRatio >= 1)}`],
    [
      'POST /api/token.json (tutorial): requests/s',
      `${m(runs.tutorial, 'rps').toFixed(0)}  (p50 ${m(runs.tutorial, 'p50')} ms, CPU ${cpu(runs.tutorial)})`,
    ],
    ['ratio tutorial / bare, per round (target ≥ 1.0)', `${tutorialRatio.toFixed(2)}  ${mark(tutorialRatio >= 1)}`],
    ['raw agora-token builds/s, one process', median(runs.ceiling).toFixed(0)],
    ['batched tokens/s ÷ raw agora-token builds/s, per round (target ≥ 0.6)', `${ceilingRatio.toFixed(2)}  ${mark(ceilingRatio >= 0.6)}`],
    ['against the ceiling server (issue 35), per round:', ''],
    ['  tRPC, one token per request ÷ ceiling (target ≥ 0.6)', `${topSingle.toFixed(2)}  ${mark(topSingle >= 0.6)}`],
    [`  batched tokens/s ÷ ceiling requests/s (target ≥ 1.8)`, `${topBatched.toFixed(2)}  ${mark(topBatched >= 1.8)}`],
    ['  /api/v1/tokens ÷ ceiling (target ≥ 0.7)', `${topRest.toFixed(2)}  ${mark(topRest >= 0.7)}`],
    ['  /api/token.json ÷ ceiling (target ≥ 0.7)', `${topTutorial.toFixed(2)}  ${mark(topTutorial >= 0.7)}`],
    [
      '  CPU per request, ceiling ÷ tRPC / REST / tutorial; ÷ batched token',
      `${(m(runs.top, 'cpuUs') / m(runs.ours, 'cpuUs')).toFixed(2)} / ${(m(runs.top, 'cpuUs') / m(runs.rest, 'cpuUs')).toFixed(2)} / ${(m(runs.top, 'cpuUs') / m(runs.tutorial, 'cpuUs')).toFixed(2)}; ${(m(runs.top, 'cpuUs') / (m(runs.batched, 'cpuUs') / BATCH)).toFixed(2)}`,
    ],
    [
      `event loop's worst delay, hostile batches of ${MAX_BATCH} (worst /healthz answer; target < 50 ms)`,
      `${stall.worstProbeMs.toFixed(1)} ms  ${mark(stall.worstProbeMs < 50)}  (median ${stall.medianProbeMs.toFixed(1)} ms over ${stall.probes} probes; a batch answered in ${stall.medianBatchMs.toFixed(1)} ms)`,
    ],
    [
      `  the same with ${MAX_BATCH} valid token.generate calls per batch`,
      `${legit.worstProbeMs.toFixed(1)} ms  (median ${legit.medianProbeMs.toFixed(1)} ms; a batch answered in ${legit.medianBatchMs.toFixed(1)} ms)`,
    ],
  ],
);
process.exit(0);
