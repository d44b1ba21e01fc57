/**
 * `pnpm soak:cluster`: three server processes on one PostgreSQL database, driven with recordings
 * and transcriptions (each watched over WebSocket and SSE on other instances) while their
 * database sessions are cut and one of them is SIGKILLed; then Agora's side is compared with the
 * registry, Agora's request log with the leases, and every watcher with the registry's event log.
 * It fails (exit 1) on any process exit it did not cause, any task queried or stopped by two
 * instances within one poll interval, any orphan, stuck row, lost task or duplicate, any watcher
 * that missed or repeated an event, a 429 from Agora, an `alreadyStopped` that was not true, or a
 * user's call that waited longer than 2 s for the rate budget. Conversational AI agents run beside
 * them on every instance (bench/soak-agents.ts: spoken to, some failed by Agora, 5xx and failover
 * 404s, lost join answers): it fails too on any agent left running at Agora, agent row whose end
 * is not Agora's, or conversation not kept whole, once and in order.
 *
 *   SOAK_PROFILE=short (default, what CI runs: ~2 minutes) | long | budget (100 recordings, 2 s
 *   poll, stop latency and the longest poll gap under Agora's 10/s), SOAK_SEED, SOAK_SERVER_LOG
 *   (a file for the servers' logs), SOAK_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test)
 *
 * The emulator runs in this process with Agora's 10 requests/s limit on; each instance is the
 * real entry point (server/src/main.ts) with AGORA_REQUESTS_PER_SECOND 8, in a schema of its own
 * for this run (dropped at the end). Faults, in order: each kind of session of each instance is
 * terminated with pg_terminate_backend (LISTEN, lease, registry pool, rate-budget pool, notify
 * pool), then every session of every instance at once (a database restart as the instances see
 * it: other users of the database are left alone), then one instance is SIGKILLed and replaced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeClient, createClient, type AgoraBackendClient } from '../client/src/node.js';
import { createPostgresStore } from '@agora-backend/server';
import { createEmulator } from '@agora-backend/server/testing';
import { percentile } from './report.js';
import { AGENT_BAD, compareAgents, driveAgent, SOAK_AGENT_PROFILES, stopUnclaimedAgents, type AgentRun } from './soak-agents.js';
import { SOAK_APP_ID, SOAK_CERTIFICATE, SOAK_CUSTOMER, seededChoices, sleep } from './soak-common.js';

interface Profile {
  /** Tasks started at least (a third of them transcriptions), more while the faults last. */
  tasks: number;
  /** Conversational AI agents, two at a time beside the tasks. */
  agents: number;
  maxTasks: number;
  concurrency: number;
  holdMs: [number, number];
  /** Rounds of faults (each: every kind of session of every instance, then all at once, then a kill). */
  rounds: number;
  /** The budget profile: a steady load instead of faults. */
  budget?: { recordings: number; startEveryMs: number; steadyMs: number; stopEveryMs: number };
}
const PROFILES: Record<string, Profile> = {
  short: { tasks: 36, agents: 6, maxTasks: 90, concurrency: 12, holdMs: [5_000, 20_000], rounds: 1 },
  long: { tasks: 200, agents: 40, maxTasks: 400, concurrency: 15, holdMs: [4_000, 30_000], rounds: 3 },
  budget: {
    tasks: 0,
    agents: 0,
    maxTasks: 0,
    concurrency: 0,
    holdMs: [0, 0],
    rounds: 0,
    budget: { recordings: 100, startEveryMs: 500, steadyMs: 60_000, stopEveryMs: 500 },
  },
};
const profileName = process.env.SOAK_PROFILE ?? 'short';
const profile = PROFILES[profileName];
if (!profile) throw new Error(`SOAK_PROFILE must be one of ${Object.keys(PROFILES).join(', ')}`);
const SEED = Number(process.env.SOAK_SEED ?? 7);
const DATABASE_URL = process.env.SOAK_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const POLL_SECONDS = 2;
const POLL_MS = POLL_SECONDS * 1000;
const INSTANCES = 3;
/** After the drive: how long the cluster may take to confirm every stop. */
const SETTLE_MS = 90_000;
/** A user's call may wait this long for Agora's rate budget, no longer. */
const USER_WAIT_LIMIT_SECONDS = 2;
/** Agora ends a task this long after its channel empties: tasks whose start answer was lost end by themselves. */
const MAX_IDLE_SECONDS = 10;
const SESSION_KINDS = ['listen', 'lease', 'registry', 'budget', 'notify'] as const;
type SessionKind = (typeof SESSION_KINDS)[number];

const APP_ID = SOAK_APP_ID;
const CERTIFICATE = SOAK_CERTIFICATE;
const CUSTOMER = SOAK_CUSTOMER;
const { between } = seededChoices(SEED);
const clockTime = (ms: number) => new Date(ms).toISOString().slice(11, 23);
const stamp = () => clockTime(Date.now());
const note = (text: string) => console.log(`  ${stamp()} ${text}`);
const terminal = (state: string) => state === 'stopped' || state === 'failed';

// ---------------------------------------------------------------------------------------------
// The instances

interface Instance {
  name: string;
  child: ChildProcess;
  url: string;
  origin: string;
  instanceId: string;
  /** Its User-Agent at Agora: how the request log names it. */
  client: string;
  ws: AgoraBackendClient;
  sse: AgoraBackendClient;
  alive: boolean;
  /** Set before the soak kills it: any other exit is a failure. */
  expectedExit: boolean;
  exit?: string;
  logTail: string[];
  /** Its last /metrics page (a killed instance keeps the one before its death). */
  metrics: string;
}

const instances: Instance[] = [];
/** Callers' requests an instance logged as kept waiting by the rate budget (over 1 s). */
const slowWaits: { instance: string; time: number; endpoint: string; waitedMs: number }[] = [];
const unexpectedExits: string[] = [];
let instanceCount = 0;
const live = () => instances.filter((instance) => instance.alive);
/** The k-th live instance, round robin: callers spread over whoever is up (the first if none is). */
const pick = (k: number): Instance => {
  const up = live();
  if (up.length === 0) return instances[0]!;
  return up[((k % up.length) + up.length) % up.length]!;
};

/** One instance as `pnpm start` runs it, in cluster mode; resolves once it listens. */
async function startInstance(env: Record<string, string>): Promise<Instance> {
  const name = String.fromCharCode(65 + instanceCount++);
  const dataDir = await mkdtemp(join(tmpdir(), `soak-cluster-${name}-`));
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env, DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = process.env.SOAK_SERVER_LOG;
  const logTail: string[] = [];
  let instanceId = '';
  let partial = '';
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (logFile) appendFileSync(logFile, chunk.replace(/^(?=.)/gm, `${name} `));
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        logTail.push(line);
        if (logTail.length > 60) logTail.shift();
        if (line.includes("waited for Agora's rate budget"))
          slowWaits.push({ instance: name, ...(JSON.parse(line) as { time: number; endpoint: string; waitedMs: number }) });
        const id = /"instanceId":"([0-9a-f]+)"/.exec(line);
        if (id) instanceId = id[1]!;
        const url = /"url":"(http:[^"]+)"[^\n]*Listening on/.exec(line);
        if (url) resolve(url[1]!);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => logTail.push(chunk));
    child.once('exit', (code, signal) =>
      reject(new Error(`instance ${name} exited (${code ?? signal}) before listening:\n${logTail.join('\n')}`)),
    );
  });
  const url = await listening;
  const instance: Instance = {
    name,
    child,
    url,
    origin: new URL(url).origin,
    instanceId,
    client: `agora-backend (instance ${instanceId})`,
    ws: createClient({ url, transport: 'ws' }),
    sse: createClient({ url, transport: 'sse' }),
    alive: true,
    expectedExit: false,
    logTail,
    metrics: '',
  };
  child.on('exit', (code, signal) => {
    instance.alive = false;
    instance.exit = String(code ?? signal);
    void rm(dataDir, { recursive: true, force: true });
    if (instance.expectedExit) return;
    unexpectedExits.push(`${name} (${instanceId}) exited with ${instance.exit}`);
    note(`UNEXPECTED EXIT of instance ${name}: ${instance.exit}\n${logTail.slice(-15).join('\n')}`);
    moveWatchers(instance);
  });
  instances.push(instance);
  return instance;
}

/** Its /metrics page now (kept on the instance: a killed one keeps its last). */
async function scrape(instance: Instance): Promise<void> {
  try {
    const response = await fetch(`${instance.origin}/metrics`, { signal: AbortSignal.timeout(3_000) });
    if (response.ok) instance.metrics = await response.text();
  } catch {
    // down right now (a fault): the previous page stays
  }
}

// ---------------------------------------------------------------------------------------------
// Watchers: each follows its task to the end over one transport, on another instance than the
// one that started it, and resumes with its last event id on a live instance when its stream
// drops or its instance dies (what a client behind a load balancer does).

interface Watcher {
  task: TaskRun;
  transport: 'ws' | 'sse';
  on?: Instance;
  received: { id: string; state: string }[];
  done: boolean;
  resumes: number;
  unsubscribe: () => void;
}
const watchers: Watcher[] = [];

function follow(watcher: Watcher, preferred: Instance): void {
  if (watcher.done) return;
  const instance = preferred.alive ? preferred : pick(watchers.indexOf(watcher));
  watcher.on = instance;
  const client = instance[watcher.transport];
  const lastEventId = watcher.received.at(-1)?.id;
  const input = { id: watcher.task.id, ...(lastEventId ? { lastEventId } : {}) };
  let over = false;
  const retry = () => {
    if (over || watcher.done) return;
    over = true;
    subscription.unsubscribe();
    watcher.resumes++;
    setTimeout(() => follow(watcher, instance), 300);
  };
  const callbacks = {
    onData: ({ id, data }: { id: string; data: { state: string } }) => {
      if (over) return;
      watcher.received.push({ id, state: data.state });
      if (terminal(data.state)) {
        watcher.done = true;
        over = true;
        setImmediate(() => subscription.unsubscribe());
      }
    },
    onComplete: retry,
    onError: retry,
  };
  const subscription =
    watcher.task.kind === 'recording'
      ? client.recording.watch.subscribe(input, callbacks)
      : client.transcription.watch.subscribe(input, callbacks);
  watcher.unsubscribe = () => {
    over = true;
    subscription.unsubscribe();
  };
}

/** Its instance died: every watcher on it resumes elsewhere with its last event id. */
function moveWatchers(dead: Instance): void {
  for (const watcher of watchers) {
    if (watcher.on !== dead || watcher.done) continue;
    watcher.unsubscribe();
    watcher.resumes++;
    follow(watcher, pick(watchers.indexOf(watcher)));
  }
}

// ---------------------------------------------------------------------------------------------
// Tasks: start on one instance, watch on the two others, stop on a third after a hold.

interface StopCall {
  client: string;
  t0: number;
  t1: number;
  ok: boolean;
  state?: string;
  alreadyStopped?: boolean;
  first: boolean;
}
interface TaskRun {
  kind: 'recording' | 'transcription';
  id: string;
  /** Agora's name for it: the sid, or the agent id. */
  upstreamId: string;
  channel: string;
  stops: StopCall[];
}
const tasks: TaskRun[] = [];
/** Tasks the soak learnt of from the registry only (their start's answer was lost), stopped at the end. */
const fromRegistry: TaskRun[] = [];
let startsGivenUp = 0;
let startAttemptsFailed = 0;

async function startTask(kind: TaskRun['kind'], n: number, emulator: Emulator): Promise<TaskRun | undefined> {
  for (let attempt = 0; attempt < 8; attempt++) {
    // A fresh channel per attempt: a start whose answer was lost must not pass for a duplicate.
    const channel = `${kind === 'recording' ? 'rec' : 'stt'}-${n}-${attempt}`;
    emulator.control.join(channel, '100');
    const instance = pick(n + attempt);
    try {
      if (kind === 'recording') {
        const started = await instance.ws.recording.start.mutate({ channel, maxIdleSeconds: MAX_IDLE_SECONDS });
        return { kind, id: started.id, upstreamId: started.sid, channel, stops: [] };
      }
      const started = await instance.ws.transcription.start.mutate({
        channel,
        languages: ['en-US'],
        captions: false,
        maxIdleSeconds: MAX_IDLE_SECONDS,
      });
      return { kind, id: started.id, upstreamId: started.agentId, channel, stops: [] };
    } catch {
      startAttemptsFailed++;
      // If Agora started it all the same (its answer was lost with the instance), nobody
      // publishing ends it: Agora's idle exit, as for a user who gave up.
      emulator.control.leave(channel, '100');
      await sleep(500);
    }
  }
  startsGivenUp++;
  return undefined;
}

function watch(task: TaskRun, n: number): void {
  for (const [offset, transport] of [
    [1, 'ws'],
    [2, 'sse'],
  ] as const) {
    const watcher: Watcher = { task, transport, received: [], done: false, resumes: 0, unsubscribe: () => undefined };
    watchers.push(watcher);
    follow(watcher, pick(n + offset));
  }
}

/** Stops until the server answers (stopped, or stopping: then the server owns it). */
async function stopTask(task: TaskRun, n: number): Promise<void> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const instance = pick(n + 2 + attempt);
    const call: StopCall = { client: instance.client, t0: Date.now(), t1: 0, ok: false, first: task.stops.length === 0 };
    task.stops.push(call);
    try {
      const answer =
        task.kind === 'recording'
          ? await instance.ws.recording.stop.mutate({ id: task.id })
          : await instance.ws.transcription.stop.mutate({ id: task.id });
      Object.assign(call, { t1: Date.now(), ok: true, state: answer.state, alreadyStopped: answer.alreadyStopped });
      return;
    } catch {
      call.t1 = Date.now();
      await sleep(500);
    }
  }
}

async function driveOne(n: number, emulator: Emulator): Promise<void> {
  const kind = n % 3 === 2 ? 'transcription' : 'recording';
  const task = await startTask(kind, n, emulator);
  if (!task) return;
  tasks.push(task);
  watch(task, n);
  await sleep(between(profile!.holdMs));
  await stopTask(task, n);
}

// ---------------------------------------------------------------------------------------------
// Faults on the database sessions

type Admin = Awaited<ReturnType<typeof createPostgresStore>>;
const faults: string[] = [];

/** The instance's sessions of one kind, told apart by application_name (and checked the way the issue names them). */
async function sessionsOf(admin: Admin, instance: Instance, kind: SessionKind): Promise<number[]> {
  const suffix = { listen: '% listen', lease: '% lease', registry: '% registry', budget: '% budget', notify: '% notify' }[kind];
  const rows = await admin.pool.query<{ pid: number; query: string; member_lock: boolean }>(
    `select a.pid, a.query, exists (select 1 from pg_locks l where l.pid = a.pid and l.locktype = 'advisory' and l.objsubid = 2 and l.granted) as member_lock
       from pg_stat_activity a where a.datname = current_database() and a.application_name like $1 and a.application_name like $2`,
    [`agora-backend ${instance.instanceId} %`, suffix],
  );
  for (const row of rows.rows) {
    if (kind === 'listen' && !/^\s*listen/i.test(row.query))
      faults.push(`${instance.name}: a listen session whose last query is not LISTEN (${row.query.slice(0, 40)})`);
    if ((kind === 'lease') !== row.member_lock)
      faults.push(`${instance.name}: a ${kind} session ${row.member_lock ? 'holds' : 'lacks'} the membership lock`);
  }
  return rows.rows.map((row) => row.pid);
}

async function terminate(admin: Admin, instance: Instance, kind: SessionKind): Promise<void> {
  let pids: number[] = [];
  // Pools close idle sessions after a while: wait a little for one to exist.
  for (let attempt = 0; attempt < 10 && pids.length === 0; attempt++) {
    pids = await sessionsOf(admin, instance, kind);
    if (pids.length === 0) await sleep(200);
  }
  for (const pid of pids) await admin.pool.query('select pg_terminate_backend($1)', [pid]);
  note(`terminated ${pids.length} ${kind} session(s) of ${instance.name}`);
}

/** Every session of every instance at once: a restart of the database as the instances see it. */
async function terminateAll(admin: Admin): Promise<void> {
  const ids = instances.map((instance) => `agora-backend ${instance.instanceId} %`);
  const result = await admin.pool.query<{ count: string }>(
    `select count(pg_terminate_backend(pid)) as count from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid() and application_name like any($1::text[])`,
    [ids],
  );
  const t0 = Date.now();
  note(`terminated all ${result.rows[0]!.count} sessions of the instances at once`);
  // Readiness must come back by itself on every instance.
  const back = await Promise.all(live().map((instance) => readyAgain(instance, t0)));
  note(`/readyz 200 again after ${back.map((ms, index) => `${live()[index]?.name ?? '?'} ${ms} ms`).join(', ')}`);
  recoveries.push(...back);
}
const recoveries: number[] = [];

async function readyAgain(instance: Instance, since: number): Promise<number> {
  await sleep(50);
  while (Date.now() - since < 60_000 && instance.alive) {
    try {
      const response = await fetch(`${instance.origin}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return Date.now() - since;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  faults.push(`${instance.name}: /readyz not 200 within 60 s after the database came back`);
  return Date.now() - since;
}

async function chaos(admin: Admin, env: Record<string, string>, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    await sleep(5_000);
    for (const kind of SESSION_KINDS) {
      for (const instance of live()) {
        await terminate(admin, instance, kind);
        await sleep(1_200);
      }
    }
    await sleep(3_000);
    await terminateAll(admin);
    await sleep(5_000);
    const victim = pick(round + 1);
    await scrape(victim);
    victim.expectedExit = true;
    victim.child.kill('SIGKILL');
    note(`SIGKILL of instance ${victim.name} (${victim.instanceId})`);
    await new Promise((resolve) => (victim.alive ? victim.child.once('exit', resolve) : resolve(undefined)));
    moveWatchers(victim);
    await sleep(1_000);
    const replacement = await startInstance(env);
    note(`instance ${replacement.name} (${replacement.instanceId}) replaces it`);
    await sleep(6_000);
  }
}

// ---------------------------------------------------------------------------------------------

type Emulator = ReturnType<typeof createEmulator>;

async function main(): Promise<void> {
  const schema = `soak_cluster_${randomBytes(5).toString('hex')}`;
  const admin = await createPostgresStore({ url: DATABASE_URL, schema, applicationName: 'agora-soak' });
  const storageDir = await mkdtemp(join(tmpdir(), 'soak-cluster-storage-'));
  const emulator = createEmulator({
    appId: APP_ID,
    appCertificate: CERTIFICATE,
    customerId: CUSTOMER.id,
    customerSecret: CUSTOMER.secret,
    storageDir,
    timing: { statusStepMs: 200 },
    limits: { requestsPerSecond: 10, maxConcurrentRecordings: 500 },
  });
  const emulatorUrl = await emulator.listen();
  const env = {
    AGORA_APP_ID: APP_ID,
    AGORA_APP_CERTIFICATE: CERTIFICATE,
    AGORA_CUSTOMER_ID: CUSTOMER.id,
    AGORA_CUSTOMER_SECRET: CUSTOMER.secret,
    AGORA_API_URL: emulatorUrl,
    AGORA_REQUESTS_PER_SECOND: '8',
    STORAGE_VENDOR: '1',
    STORAGE_REGION: '0',
    STORAGE_BUCKET: 'soak',
    STORAGE_ACCESS_KEY: 'soak-access',
    STORAGE_SECRET_KEY: 'soak-secret-key',
    DATABASE_URL,
    DATABASE_SCHEMA: schema,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    POLL_INTERVAL_SECONDS: String(POLL_SECONDS),
    WATCHDOG_INTERVAL_SECONDS: String(POLL_SECONDS),
    AGORA_FAILOVER_WINDOW_SECONDS: '10',
    START_SETTLE_SECONDS: '10',
    RATE_LIMIT_STARTS_PER_MINUTE: '100000',
    AGENT_PROFILES: SOAK_AGENT_PROFILES,
  };
  const started = Date.now();
  let exitCode: number;
  const scraper = setInterval(() => void Promise.all(live().map(scrape)), 3_000);
  try {
    await Promise.all(Array.from({ length: INSTANCES }, () => startInstance(env)));
    note(
      `soak:cluster (${profileName}), seed ${SEED}: ${INSTANCES} instances (${instances.map((instance) => `${instance.name} ${instance.instanceId}`).join(', ')}), schema ${schema}`,
    );
    const driveStart = Date.now();
    if (profile!.budget) await driveBudget(emulator, profile!.budget);
    else await driveFaults(emulator, admin, env);
    const driveSeconds = (Date.now() - driveStart) / 1000;
    const adopted = (await stopUnclaimed(admin)) + (await stopUnclaimedAgents(admin, agentRuns, (n) => pick(n).ws, note));
    const settleStart = Date.now();
    await settle(admin, emulator);
    const settleSeconds = (Date.now() - settleStart) / 1000;
    await Promise.all(live().map(scrape));
    exitCode = await verdict(admin, emulator, { driveSeconds, settleSeconds, adopted, wallSeconds: 0, started });
  } finally {
    clearInterval(scraper);
    for (const watcher of watchers) watcher.unsubscribe();
    await shutdown();
    await emulator.close();
    await admin.pool.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    await admin.close();
    await rm(storageDir, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

/** The agents driven beside the tasks (compared with Agora's at the end). */
const agentRuns: AgentRun[] = [];
/** The server's join timeout (agora/client.ts): a join answered later than this is a lost answer. */
const JOIN_TIMEOUT_MS = 15_000;

async function driveFaults(emulator: Emulator, admin: Admin, env: Record<string, string>): Promise<void> {
  let chaosDone = false;
  const faultsRun = chaos(admin, env, profile!.rounds).finally(() => (chaosDone = true));
  let next = 0;
  // Agents' own faults (the tasks keep theirs: cut sessions and a kill): 5xx on join, leave and
  // history, Agora's failover 404s on queries and leaves, and two lost join answers.
  const unavailable = { status: 503, body: { detail: 'temporarily unavailable, try again', reason: 'ServiceUnavailable' } };
  const missing = { status: 404, body: { detail: 'task not found', reason: 'NotFound' } };
  const agentFaults = () => {
    for (const endpoint of ['convoJoin', 'convoLeave', 'convoHistory'] as const)
      emulator.control.injectFault({ endpoint, times: 3, ...unavailable });
    for (const endpoint of ['convoQuery', 'convoLeave'] as const) emulator.control.injectFault({ endpoint, times: 2, ...missing });
  };
  agentFaults();
  emulator.control.loseAnswers('convoJoin', 2, JOIN_TIMEOUT_MS + 2_000);
  for (let index = 0; index < profile!.agents; index++) {
    agentRuns.push({ index, channel: `agent-${index}` });
    emulator.control.join(`agent-${index}`, '100');
  }
  let nextAgent = 0;
  const agentsRun = Promise.all(
    Array.from({ length: Math.min(2, profile!.agents) }, async () => {
      while (nextAgent < agentRuns.length)
        await driveAgent(agentRuns[nextAgent++]!, {
          api: (n) => pick(n).ws,
          control: emulator.control,
          holdMs: between(profile!.holdMs),
          patienceMs: 90_000,
        });
    }),
  );
  // More of the same while they run.
  void sleep(20_000).then(agentFaults);
  await Promise.all(
    Array.from({ length: profile!.concurrency }, async () => {
      while ((!chaosDone || next < profile!.tasks) && next < profile!.maxTasks) await driveOne(next++, emulator);
    }),
  );
  await faultsRun;
  await agentsRun;
}

/** The budget profile's steady phase (every recording started, none stopped yet). */
const steady = { from: 0, to: 0 };

/** The budget profile: many recordings under Agora's 10/s, started and stopped at a user's pace. */
async function driveBudget(emulator: Emulator, budget: NonNullable<Profile['budget']>): Promise<void> {
  const starts: Promise<TaskRun | undefined>[] = [];
  for (let n = 0; n < budget.recordings; n++) {
    starts.push(
      startTask('recording', n, emulator).then((task) => {
        if (task) {
          tasks.push(task);
          const watcher: Watcher = {
            task,
            transport: n % 2 === 0 ? 'ws' : 'sse',
            received: [],
            done: false,
            resumes: 0,
            unsubscribe: () => undefined,
          };
          watchers.push(watcher);
          follow(watcher, pick(n + 1));
        }
        return task;
      }),
    );
    await sleep(budget.startEveryMs);
  }
  await Promise.all(starts);
  note(`${tasks.length} recordings active; steady for ${budget.steadyMs / 1000} s`);
  steady.from = Date.now();
  await sleep(budget.steadyMs);
  steady.to = Date.now();
  const stops: Promise<void>[] = [];
  for (const [n, task] of [...tasks].entries()) {
    stops.push(stopTask(task, n));
    await sleep(budget.stopEveryMs);
  }
  await Promise.all(stops);
}

/** Rows whose start answer never reached us (the instance died, the registry was cut) are stopped as a user would: from a list. */
async function stopUnclaimed(admin: Admin): Promise<number> {
  const known = new Set(tasks.map((task) => task.id));
  const recordings = await admin.pool.query<{ id: string; upstream: string | null; channel: string }>(
    "select id, sid as upstream, channel from recordings where state in ('starting', 'recording')",
  );
  const transcriptions = await admin.pool.query<{ id: string; upstream: string | null; channel: string }>(
    "select id, agent_id as upstream, channel from transcriptions where state in ('starting', 'running')",
  );
  const unclaimed = [
    ...recordings.rows.filter((row) => !known.has(row.id)).map((row) => ({ kind: 'recording' as const, ...row })),
    ...transcriptions.rows.filter((row) => !known.has(row.id)).map((row) => ({ kind: 'transcription' as const, ...row })),
  ];
  for (const [n, row] of unclaimed.entries()) {
    note(`stopping ${row.kind} ${row.id}: its start's answer was lost, the registry knows it`);
    const task: TaskRun = { kind: row.kind, id: row.id, upstreamId: row.upstream ?? '', channel: row.channel, stops: [] };
    // Its stops are a user's too (the request log's check tells them from a poller's).
    fromRegistry.push(task);
    await stopTask(task, n);
  }
  return unclaimed.length;
}

async function settle(admin: Admin, emulator: Emulator): Promise<void> {
  const since = Date.now();
  while (Date.now() - since < SETTLE_MS) {
    const active = await admin.pool.query<{ count: string }>(
      "select (select count(*) from recordings where state not in ('stopped', 'failed')) + (select count(*) from transcriptions where state not in ('stopped', 'failed')) + (select count(*) from agents where state not in ('stopped', 'failed')) as count",
    );
    const watching = watchers.filter((watcher) => !watcher.done).length;
    if (Number(active.rows[0]!.count) === 0 && watching === 0 && upstreamActive(emulator) === 0) return;
    await sleep(1_000);
  }
}

const upstreamActive = (emulator: Emulator) =>
  emulator.control.tasks().filter((task) => task.active).length +
  emulator.control.agents().filter((agent) => agent.endedAt === undefined).length +
  emulator.control.convoAgents().filter((agent) => agent.status !== 'STOPPED' && agent.status !== 'FAILED').length;

async function shutdown(): Promise<void> {
  await Promise.all(
    live().map(async (instance) => {
      instance.expectedExit = true;
      const exited = new Promise((resolve) => instance.child.once('exit', resolve));
      instance.child.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
      if (instance.alive) instance.child.kill('SIGKILL');
      else if (instance.exit !== '0') unexpectedExits.push(`${instance.name}: SIGTERM ended with ${instance.exit}`);
    }),
  );
  for (const instance of instances) {
    await closeClient(instance.ws).catch(() => undefined);
    if (instance.alive) instance.child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// The verdict

interface Figures {
  driveSeconds: number;
  settleSeconds: number;
  adopted: number;
  wallSeconds: number;
  started: number;
}

async function verdict(admin: Admin, emulator: Emulator, figures: Figures): Promise<number> {
  const registry = await compareRegistry(admin, emulator);
  const agents = await compareAgents(admin, emulator.control, agentRuns);
  const doubles = doubleActors(emulator);
  const watching = await compareWatchers(admin);
  const waits = userWaits();
  const latency = stopLatency(emulator);
  const gaps = pollGaps(emulator);
  const requests = emulator.control.requests();
  const lies = tasks.filter(
    (task) => task.stops.find((stop) => stop.ok)?.first && task.stops.find((stop) => stop.ok)?.alreadyStopped,
  ).length;
  const slowStops = slowWaits.filter(
    (wait) => (wait.endpoint === 'stop' || wait.endpoint === 'sttLeave') && wait.waitedMs > USER_WAIT_LIMIT_SECONDS * 1000,
  );
  for (const wait of slowWaits)
    note(
      `instance ${wait.instance}: a user's ${wait.endpoint} waited ${wait.waitedMs} ms for the rate budget at ${new Date(wait.time).toISOString().slice(11, 23)}`,
    );
  const checks: [string, number, string][] = [
    ['unexpected exits', unexpectedExits.length, 'process exits the soak did not cause (or a SIGTERM that did not end with 0)'],
    ['double actors', doubles.length, 'a task queried or stopped by two instances within one poll interval'],
    ['orphans', registry.orphans, 'tasks still running at Agora after settling'],
    ['stuck', registry.stuck, 'rows not stopped or failed after settling'],
    ['lost', registry.lost, 'tasks Agora runs that the registry does not know'],
    ['duplicates', registry.duplicates, 'channels with two tasks at Agora'],
    ['contradictions', registry.contradictions, 'rows whose events contradict their state'],
    ['watchers wrong', watching.wrong.length, 'watchers that missed, repeated or reordered an event, or never saw the end'],
    ['429', requests.filter((request) => request.status === 429).length, "Agora's rate limit answers"],
    ['alreadyStopped lies', lies, 'a first stop answered alreadyStopped for a running task'],
    [
      'stops waiting > 2 s',
      slowStops.length,
      `user stops that waited longer than ${USER_WAIT_LIMIT_SECONDS} s for the rate budget (the instances' logs)`,
    ],
    ['session checks', faults.length, 'sessions not as named, or readiness that did not come back'],
    ...AGENT_BAD.map((name): [string, number, string] => [
      name,
      agents.figures[name as keyof typeof agents.figures],
      'agents (bench/soak-agents.ts)',
    ]),
  ];
  for (const problem of [
    ...unexpectedExits,
    ...doubles.slice(0, 20),
    ...watching.wrong.slice(0, 20),
    ...registry.notes,
    ...agents.notes,
    ...faults,
  ])
    console.log(`  ! ${problem}`);
  const recordings = tasks.filter((task) => task.kind === 'recording').length;
  console.log(`\nsoak:cluster (${profileName}), seed ${SEED}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(
    `  tasks driven      ${recordings} recordings, ${tasks.length - recordings} transcriptions (${startAttemptsFailed} start attempts failed, ${startsGivenUp} given up, ${figures.adopted} rows stopped from the registry)`,
  );
  const a = agents.figures;
  console.log(
    `  agents            ${a.agents} (${a.agentsStopped} stopped, ${a.agentsFailed} failed, ${a.agentsFailedByAgora} failed by Agora on purpose; ${a.conversationsChecked} conversations checked; ${a.agentStartsGivenUp} starts given up)`,
  );
  console.log(
    `  watchers          ${watchers.length} (${watchers.filter((watcher) => watcher.transport === 'ws').length} WS, ${watchers.filter((watcher) => watcher.transport === 'sse').length} SSE), ${watchers.reduce((sum, watcher) => sum + watcher.resumes, 0)} resumptions, ${watching.events} events checked`,
  );
  console.log(
    `  instances         ${instances.length} started, ${instances.filter((instance) => instance.expectedExit && instance.exit === 'SIGKILL').length} SIGKILLed`,
  );
  console.log(
    `  upstream calls    ${requests.length} (${Object.entries(emulator.control.requestCounts())
      .map(([endpoint, count]) => `${endpoint} ${count}`)
      .join(', ')})`,
  );
  console.log(`  busiest second    ${busiestSecond(requests)} calls at Agora`);
  if (recoveries.length > 0) console.log(`  readiness back    max ${Math.max(...recoveries)} ms after every session was cut`);
  console.log(
    `  user stops        p50 ${latency.p50} ms, p95 ${latency.p95} ms, max ${latency.max} ms (client side, ${latency.count} stops); at Agora p50 ${latency.atAgoraP50} ms, max ${latency.atAgoraMax} ms`,
  );
  console.log(
    `  budget waits      ${waits.count} user calls, ${waits.over} over ${USER_WAIT_LIMIT_SECONDS} s (/metrics; ${slowStops.length} of them stops); background ${waits.background} calls, ${waits.backgroundOver} over ${USER_WAIT_LIMIT_SECONDS} s`,
  );
  console.log(
    `  poll gaps         longest ${(gaps.max / 1000).toFixed(1)} s (${gaps.maxTask}), p95 of each task's longest ${(gaps.p95 / 1000).toFixed(1)} s; the cadence promised is max(${POLL_SECONDS} s, active ÷ ${POLLS_PER_SECOND}/s)`,
  );
  if (steady.to > 0) {
    const calls = requests.filter((request) => request.at >= steady.from && request.at < steady.to).length;
    const perSecond = calls / ((steady.to - steady.from) / 1000);
    const promised = Math.max(POLL_SECONDS, tasks.length / POLLS_PER_SECOND);
    console.log(
      `  steady phase      ${perSecond.toFixed(1)} calls/s at Agora (all polls): each recording polled every ${(tasks.length / perSecond).toFixed(1)} s on average, promised ${promised.toFixed(1)} s`,
    );
    console.log(
      `                    longest gap ${(steadyGap(emulator) / 1000).toFixed(1)} s (ending in the steady phase's second half; the gaps above include the start ramp, when callers' starts go first)`,
    );
  }
  console.log(
    `  drive ${figures.driveSeconds.toFixed(0)} s, settle ${figures.settleSeconds.toFixed(0)} s, wall ${((Date.now() - figures.started) / 1000).toFixed(0)} s`,
  );
  for (const [name, value, what] of checks)
    console.log(`  ${name.padEnd(20)} ${String(value).padStart(5)}  ${value === 0 ? 'ok  ' : 'FAIL'}  (${what})`);
  return checks.some(([, value]) => value > 0) ? 1 : 0;
}

const busiestSecond = (requests: { at: number }[]) => {
  const times = requests.map((request) => request.at).sort((a, b) => a - b);
  let best = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= 1_000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
};

/** Agora's tasks and agents against the registry's rows, after settling. */
async function compareRegistry(admin: Admin, emulator: Emulator) {
  const recordings = (
    await admin.pool.query<{ id: string; channel: string; uid: string; state: string; sid: string | null }>(
      'select id, channel, uid, state, sid from recordings',
    )
  ).rows;
  const transcriptions = (
    await admin.pool.query<{ id: string; channel: string; state: string; agent_id: string | null }>(
      'select id, channel, state, agent_id from transcriptions',
    )
  ).rows;
  const notes: string[] = [];
  const bySid = new Map(recordings.filter((row) => row.sid).map((row) => [row.sid!, row]));
  const byAgent = new Map(transcriptions.filter((row) => row.agent_id).map((row) => [row.agent_id!, row]));
  // A SIGKILL between Agora starting a task and its answer reaching us leaves a task whose sid we
  // never learnt: its row is failed as interrupted and Agora ends it at its idle exit (bench/soak.ts).
  const interrupted = (task: { sid: string; cname: string; uid: string }) =>
    !bySid.has(task.sid) &&
    recordings.some((row) => row.sid === null && row.state === 'failed' && row.channel === task.cname && row.uid === task.uid);
  const upstream = emulator.control.tasks().filter((task) => {
    if (!interrupted(task)) return true;
    notes.push(`interrupted start (counted apart): Agora task ${task.sid} in ${task.cname} began as its instance died`);
    return false;
  });
  const agents = emulator.control.agents();
  const orphanTasks = upstream.filter((task) => task.active);
  const orphanAgents = agents.filter((agent) => agent.endedAt === undefined);
  for (const task of orphanTasks)
    notes.push(`orphan recording ${task.sid} (${task.cname}), registry: ${bySid.get(task.sid)?.state ?? 'unknown'}`);
  for (const agent of orphanAgents)
    notes.push(`orphan agent ${agent.agentId} (${agent.channel}), registry: ${byAgent.get(agent.agentId)?.state ?? 'unknown'}`);
  const perChannel = new Map<string, number>();
  for (const channel of [...upstream.map((task) => task.cname), ...agents.map((agent) => agent.channel)])
    perChannel.set(channel, (perChannel.get(channel) ?? 0) + 1);
  const stuckRows = [...recordings, ...transcriptions].filter((row) => !terminal(row.state));
  for (const row of stuckRows) notes.push(`stuck row ${row.id} (${row.channel}) in ${row.state}`);
  return {
    orphans: orphanTasks.length + orphanAgents.length,
    lost: upstream.filter((task) => !bySid.has(task.sid)).length + agents.filter((agent) => !byAgent.has(agent.agentId)).length,
    duplicates: [...perChannel.values()].filter((count) => count > 1).length,
    stuck: stuckRows.length,
    contradictions: await contradictions(admin, [...recordings, ...transcriptions]),
    notes,
  };
}

interface LoggedEvent {
  id: string;
  task: string;
  state: string;
}
async function eventLog(admin: Admin): Promise<Map<string, LoggedEvent[]>> {
  const rows = (
    await admin.pool.query<LoggedEvent>(
      'select id::text as id, recording_id as task, state from recording_events union all select id::text, transcription_id, state from transcription_events',
    )
  ).rows;
  const byTask = new Map<string, LoggedEvent[]>();
  for (const row of rows) byTask.set(row.task, [...(byTask.get(row.task) ?? []), row]);
  for (const list of byTask.values()) list.sort((a, b) => Number(a.id) - Number(b.id));
  return byTask;
}

async function contradictions(admin: Admin, rows: { id: string; state: string }[]): Promise<number> {
  const log = await eventLog(admin);
  let count = 0;
  for (const row of rows) {
    const events = log.get(row.id) ?? [];
    const firstEnd = events.findIndex((event) => terminal(event.state));
    if (firstEnd !== -1 && events.slice(firstEnd + 1).some((event) => event.state !== events[firstEnd]!.state)) count++;
    else if (events.length > 0 && events.at(-1)!.state !== row.state) count++;
  }
  return count;
}

/** Each watcher saw the registry's log from its first event on: every event, once, in order, to the end. */
async function compareWatchers(admin: Admin): Promise<{ wrong: string[]; events: number }> {
  const log = await eventLog(admin);
  const wrong: string[] = [];
  let events = 0;
  for (const watcher of watchers) {
    events += watcher.received.length;
    const expected = log.get(watcher.task.id) ?? [];
    const first = expected.findIndex((event) => event.id === watcher.received[0]?.id);
    const want = first === -1 ? expected : expected.slice(first);
    const got = watcher.received.map((event) => `${event.id}:${event.state}`).join(' ');
    const should = want.map((event) => `${event.id}:${event.state}`).join(' ');
    if (got !== should || !watcher.done) {
      wrong.push(
        `watcher (${watcher.transport}) of ${watcher.task.kind} ${watcher.task.id}: got [${got}], the log from there [${should}]${watcher.done ? '' : ', never ended'}`,
      );
    }
  }
  return { wrong, events };
}

interface Call {
  at: number;
  client: string | undefined;
  endpoint: string;
  status: number;
  user: boolean;
}

/** Agora's request log per task (by sid or agent id), each call marked when it was a user's stop. */
function callsByTask(emulator: Emulator): Map<string, Call[]> {
  const byUpstream = new Map([...tasks, ...fromRegistry].map((task) => [task.upstreamId, task]));
  const calls = new Map<string, Call[]>();
  for (const entry of emulator.control.requests()) {
    // Conversational AI agents are called by their users through any instance (history, stop),
    // which the request log cannot tell from a poll: the fencing check is the tasks'.
    if (entry.endpoint.startsWith('convo')) continue;
    const key = /\/sid\/([^/]+)\/mode\//.exec(entry.path)?.[1] ?? /\/agents\/([^/]+)/.exec(entry.path)?.[1];
    if (!key) continue;
    const task = byUpstream.get(key);
    // A user's stop: sent by the instance the soak asked, while it asked.
    const user =
      task?.stops.some(
        (stop) => stop.client === entry.client && entry.at >= stop.t0 && entry.at <= (stop.t1 || Number.POSITIVE_INFINITY),
      ) ?? false;
    calls.set(key, [
      ...(calls.get(key) ?? []),
      { at: entry.at, client: entry.client, endpoint: entry.endpoint, status: entry.status, user },
    ]);
  }
  return calls;
}

/**
 * Fencing as Agora sees it: a call about a task from one instance less than a poll interval after
 * another instance's call about it. A user's stop is the one call any instance may make (the one
 * the user reached), but never a second stop from another instance within an interval, unless
 * that too was the user's (a retry after an error answer).
 */
function doubleActors(emulator: Emulator): string[] {
  const problems: string[] = [];
  const isStop = (call: Call) => call.endpoint === 'stop' || call.endpoint === 'sttLeave';
  for (const [key, calls] of callsByTask(emulator)) {
    for (const [index, call] of calls.entries()) {
      if (!call.client) problems.push(`${key}: a call without the instance's User-Agent`);
      for (let back = index - 1; back >= 0 && call.at - calls[back]!.at < POLL_MS; back--) {
        const earlier = calls[back]!;
        if (earlier.client === call.client) continue;
        const bothBackground = !earlier.user && !call.user;
        // Two stops are one too many unless both were the user's own (a retry after an error:
        // one stop in flight at a time is the claims' job, and a retry comes after the answer).
        const bothUser = earlier.user && call.user;
        if (bothBackground || (isStop(earlier) && isStop(call) && !bothUser)) {
          const task = [...tasks, ...fromRegistry].find((candidate) => candidate.upstreamId === key);
          const stops = task?.stops
            .map((stop) => `${short(stop.client)} ${clockTime(stop.t0)}-${clockTime(stop.t1)} ${stop.ok ? (stop.state ?? '') : 'failed'}`)
            .join(', ');
          problems.push(
            `${task?.kind ?? 'task'} ${task?.id ?? key}: ${earlier.endpoint} from ${short(earlier.client)} at ${clockTime(earlier.at)} then ${call.endpoint} from ${short(call.client)} ${call.at - earlier.at} ms later${call.user || earlier.user ? ' (one a user stop)' : ''}; user stops: ${stops ?? 'none'}`,
          );
          break;
        }
      }
    }
  }
  return problems;
}
const short = (client: string | undefined) => {
  const id = /instance ([0-9a-f]+)/.exec(client ?? '')?.[1];
  return instances.find((instance) => instance.instanceId === id)?.name ?? client ?? 'nobody';
};

/** The rate budget's waits by priority, from every instance's last /metrics page. */
function userWaits() {
  let count = 0;
  let over = 0;
  let background = 0;
  let backgroundOver = 0;
  for (const instance of instances) {
    const bucket = (priority: string, le: string) => {
      const line = instance.metrics
        .split('\n')
        .find(
          (text) =>
            text.startsWith('agora_backend_rate_budget_wait_seconds_bucket{') &&
            text.includes(`le="${le}"`) &&
            text.includes(`priority="${priority}"`),
        );
      return line ? Number(line.split(' ').at(-1)) : 0;
    };
    count += bucket('user', '+Inf');
    over += bucket('user', '+Inf') - bucket('user', String(USER_WAIT_LIMIT_SECONDS));
    background += bucket('background', '+Inf');
    backgroundOver += bucket('background', '+Inf') - bucket('background', String(USER_WAIT_LIMIT_SECONDS));
  }
  return { count, over, background, backgroundOver };
}

/** The user's stops: answered (client side), and sent to Agora (the emulator's log). */
function stopLatency(emulator: Emulator) {
  const answered: number[] = [];
  const atAgora: number[] = [];
  const calls = callsByTask(emulator);
  for (const task of tasks) {
    const stop = task.stops.find((call) => call.ok);
    if (!stop) continue;
    answered.push(stop.t1 - stop.t0);
    const sent = calls.get(task.upstreamId)?.find((call) => call.user && (call.endpoint === 'stop' || call.endpoint === 'sttLeave'));
    if (sent) atAgora.push(sent.at - stop.t0);
  }
  const max = (values: number[]) => (values.length > 0 ? Math.max(...values) : NaN);
  return {
    count: answered.length,
    p50: percentile(answered, 50),
    p95: percentile(answered, 95),
    max: max(answered),
    atAgoraP50: percentile(atAgora, 50),
    atAgoraMax: max(atAgora),
  };
}

/** Polls per second the budget leaves to background calls (AGORA_REQUESTS_PER_SECOND 8: backgroundLimit). */
const POLLS_PER_SECOND = 6;

/**
 * The longest time between two calls about one recording at Agora, both in the steady phase's
 * second half (its first half drains the polls the start ramp held back).
 */
function steadyGap(emulator: Emulator): number {
  const from = (steady.from + steady.to) / 2;
  let longest = 0;
  for (const calls of callsByTask(emulator).values()) {
    // The phase's end counts as a call: a recording left unpolled to the end is a gap too.
    const times = [...calls.map((call) => call.at).filter((at) => at < steady.to), steady.to];
    for (let index = 1; index < times.length; index++)
      if (times[index]! >= from) longest = Math.max(longest, times[index]! - times[index - 1]!);
  }
  return longest;
}

/** Per task, the longest time between two calls about it at Agora, from its first poll to the user's stop. */
function pollGaps(emulator: Emulator) {
  const calls = callsByTask(emulator);
  const longest: { task: string; gap: number; from: number; by: string }[] = [];
  for (const task of tasks) {
    const stopAt = task.stops[0]?.t0 ?? Number.POSITIVE_INFINITY;
    const before = (calls.get(task.upstreamId) ?? []).filter((call) => call.at < stopAt);
    // The time from the last poll to the stop counts too: a poll that never came is a gap.
    const times = [...before.map((call) => call.at), ...(before.length > 0 && Number.isFinite(stopAt) ? [stopAt] : [])];
    let worst = { gap: 0, from: 0, by: '' };
    for (let index = 1; index < times.length; index++) {
      const gap = times[index]! - times[index - 1]!;
      if (gap > worst.gap)
        worst = {
          gap,
          from: times[index - 1]!,
          by: `${short(before[index - 1]?.client)} then ${index < before.length ? short(before[index]?.client) : 'the stop'}`,
        };
    }
    longest.push({ task: `${task.kind} ${task.id}`, ...worst });
  }
  longest.sort((a, b) => b.gap - a.gap);
  for (const entry of longest.slice(0, 3))
    note(
      `poll gap ${(entry.gap / 1000).toFixed(1)} s from ${new Date(entry.from).toISOString().slice(11, 23)} (${entry.task}, ${entry.by})`,
    );
  const worst = longest[0] ?? { task: 'none', gap: 0 };
  return {
    max: worst.gap,
    maxTask: worst.task,
    p95: percentile(
      longest.map((entry) => entry.gap),
      95,
    ),
  };
}

process.on('SIGINT', () => {
  for (const instance of instances) instance.child.kill('SIGKILL');
  process.exit(130);
});

main().catch((error: unknown) => {
  console.error(error);
  for (const instance of instances) instance.child.kill('SIGKILL');
  process.exit(1);
});
