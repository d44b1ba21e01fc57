/**
 * `pnpm soak`: recordings and Conversational AI agents driven through Agora's documented failures,
 * then Agora's side compared with the registry. It fails (exit 1) on any orphan, duplicate, stuck
 * row, lost recording, 429 or event that contradicts the final state, and on any agent left
 * running at Agora, agent row whose end is not Agora's, or conversation not kept whole
 * (bench/soak-agents.ts). Agents meet the same 5xx share and failover 404s, lost join answers
 * (the agent joined, the answer came after the server's timeout) and Agora failing every fourth.
 *
 *   SOAK_PROFILE=short (default, what CI runs: ~1–2 minutes) | long (the README's figures)
 *   SOAK_RECORDINGS, SOAK_AGENTS, SOAK_CONCURRENCY, SOAK_FAULT_SHARE (share of upstream calls that fail, 0.3),
 *   SOAK_FAILOVERS (failover windows during the run), SOAK_SEED, SOAK_SERVER_LOG (a file for the server's log)
 *
 * The emulator runs in this process with Agora's 10 requests/s limit on; the server is a child
 * process (the real entry point, SQLite registry) that is SIGKILLed halfway and started again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type AgoraBackendClient } from '../client/src/node.js';
import { createSqliteStore } from '@agora-backend/server';
import { createEmulator } from '@agora-backend/server/testing';
import { AGENT_BAD, compareAgents, driveAgent, SOAK_AGENT_PROFILES, stopUnclaimedAgents, type AgentRun } from './soak-agents.js';
import { SOAK_APP_ID, SOAK_CERTIFICATE, SOAK_CUSTOMER, seededChoices, sleep } from './soak-common.js';

const PROFILES = {
  short: { recordings: 24, agents: 8, concurrency: 6, failovers: 2, failoverMs: [3_000, 8_000], holdMs: [500, 3_000] },
  long: { recordings: 200, agents: 60, concurrency: 12, failovers: 12, failoverMs: [4_000, 20_000], holdMs: [1_000, 20_000] },
} as const;
const profileName = (process.env.SOAK_PROFILE ?? 'short') as keyof typeof PROFILES;
if (!(profileName in PROFILES)) throw new Error(`SOAK_PROFILE must be one of ${Object.keys(PROFILES).join(', ')}`);
const profile = PROFILES[profileName];
const RECORDINGS = Number(process.env.SOAK_RECORDINGS ?? profile.recordings);
const AGENTS = Number(process.env.SOAK_AGENTS ?? profile.agents);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? profile.concurrency);
/** The server's join timeout (agora/client.ts): a join answered later than this is a lost answer. */
const JOIN_TIMEOUT_MS = 15_000;
const FAULT_SHARE = Number(process.env.SOAK_FAULT_SHARE ?? 0.3);
const FAILOVERS = Number(process.env.SOAK_FAILOVERS ?? profile.failovers);
const SEED = Number(process.env.SOAK_SEED ?? 7);
/** Settling: after the drive, how long the server may take to confirm every stop. */
const SETTLE_MS = 120_000;
/** Our failover window must outlast Agora's longest failover (here the longest the soak injects). */
const FAILOVER_WINDOW_SECONDS = Math.ceil(profile.failoverMs[1] / 1000) + 4;

const APP_ID = SOAK_APP_ID;
const CERTIFICATE = SOAK_CERTIFICATE;
const CUSTOMER = SOAK_CUSTOMER;
const { between } = seededChoices(SEED);

/** The server, as `pnpm start` runs it, pointed at the emulator. */
function startServer(env: Record<string, string>): { child: ChildProcess; url: Promise<string> } {
  const log = process.env.SOAK_SERVER_LOG;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (log) appendFileSync(log, chunk);
      const match = /"url":"(http:[^"]+)"[^\n]*Listening on/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${output.slice(-2000)}`)));
  });
  return { child, url };
}

interface Outcome {
  id?: string;
  startFailed?: boolean;
  /** The driver never got a stop through: the recording runs on as asked, not an orphan of ours. */
  stopGivenUp?: boolean;
}

/** Whether the server is between its SIGKILL and its successor's first answer. */
let down = false;
const serverDown = () => down;

/** How long a driver keeps asking for a stop (through the SIGKILL and a slow restart). */
const STOP_PATIENCE_MS = 90_000;

/** One recording: start (retrying what the server reports as transient), hold, stop until Agora confirms or the server keeps at it. */
async function drive(api: () => AgoraBackendClient, index: number, outcomes: Outcome[]): Promise<void> {
  const outcome: Outcome = {};
  outcomes[index] = outcome;
  const channel = `soak-${index}`;
  // Five tries, and through a restart of the server (which may take ten seconds and more).
  const startUntil = Date.now() + STOP_PATIENCE_MS;
  for (let attempt = 0; (attempt < 5 || (serverDown() && Date.now() < startUntil)) && !outcome.id; attempt++) {
    try {
      outcome.id = (await api().recording.start.mutate({ channel, maxIdleSeconds: 300 })).id;
    } catch {
      await sleep(500);
    }
  }
  if (!outcome.id) {
    outcome.startFailed = true;
    return;
  }
  await sleep(between(profile.holdMs));
  // Until the server takes the stop, as a user would: a restart on a busy machine takes well over
  // ten seconds (a fixed 20 tries of 0.5 s once gave up during one, leaving the recording running
  // with nobody asking to stop it: counted as an orphan, though the server did as it was told).
  const giveUpAt = Date.now() + STOP_PATIENCE_MS;
  while (Date.now() < giveUpAt) {
    try {
      await api().recording.stop.mutate({ id: outcome.id });
      return; // stopped, or stopping: the server owns it from here
    } catch {
      await sleep(500); // the server is down (the SIGKILL) or Agora is failing: try again
    }
  }
  outcome.stopGivenUp = true;
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'soak-'));
  const emulator = createEmulator({
    appId: APP_ID,
    appCertificate: CERTIFICATE,
    customerId: CUSTOMER.id,
    customerSecret: CUSTOMER.secret,
    storageDir: join(dataDir, 'buckets'),
    timing: { statusStepMs: 200 },
    limits: { requestsPerSecond: 10 },
  });
  const emulatorUrl = await emulator.listen();
  for (let index = 0; index < RECORDINGS; index++) emulator.control.join(`soak-${index}`, '100');
  for (let index = 0; index < AGENTS; index++) emulator.control.join(`soak-agent-${index}`, '100');
  const env = {
    AGORA_APP_ID: APP_ID,
    AGORA_APP_CERTIFICATE: CERTIFICATE,
    AGORA_CUSTOMER_ID: CUSTOMER.id,
    AGORA_CUSTOMER_SECRET: CUSTOMER.secret,
    AGORA_API_URL: emulatorUrl,
    STORAGE_VENDOR: '1',
    STORAGE_REGION: '0',
    STORAGE_BUCKET: 'soak',
    STORAGE_ACCESS_KEY: 'soak-access',
    STORAGE_SECRET_KEY: 'soak-secret-key',
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    POLL_INTERVAL_SECONDS: '2',
    WATCHDOG_INTERVAL_SECONDS: '2',
    AGORA_FAILOVER_WINDOW_SECONDS: String(FAILOVER_WINDOW_SECONDS),
    RATE_LIMIT_STARTS_PER_MINUTE: '100000',
    AGENT_PROFILES: SOAK_AGENT_PROFILES,
  };
  emulator.control.setChaos(FAULT_SHARE, SEED);

  let server = startServer(env);
  let client = createClient({ url: await server.url });
  const api = () => client;
  const outcomes: Outcome[] = [];
  const started = Date.now();
  console.log(
    `soak (${profileName}): ${RECORDINGS} recordings and ${AGENTS} agents, ${CONCURRENCY} at a time, ${Math.round(FAULT_SHARE * 100)} % upstream faults, ${FAILOVERS} failover windows, seed ${SEED}`,
  );

  // Failover windows spread over the drive, one at a time (Agora fails over one worker at a time),
  // with some seconds between them: a 404 run then never spans two windows (docs/agora.md).
  const chaos = (async () => {
    for (let window = 0; window < FAILOVERS; window++) {
      await sleep(between([8_000, 15_000]));
      const duration = between(profile.failoverMs);
      emulator.control.failover(duration);
      await sleep(duration);
    }
  })();
  // The SIGKILL: halfway through the recordings, the server dies and a new one takes over.
  const kill = (async () => {
    while (outcomes.filter(Boolean).length < RECORDINGS / 2) await sleep(100);
    down = true;
    server.child.kill('SIGKILL');
    console.log(`  ${new Date().toISOString()} SIGKILL of the server with ${outcomes.filter(Boolean).length} recordings begun`);
    await sleep(1_000);
    server = startServer(env);
    client = createClient({ url: await server.url });
    down = false;
    console.log('  server restarted on the same registry');
  })();

  // Two joins whose answers are lost (the agent joined; the answer comes after the server gave up).
  emulator.control.loseAnswers('convoJoin', 2, JOIN_TIMEOUT_MS + 2_000);
  const agentRuns: AgentRun[] = Array.from({ length: AGENTS }, (_, index) => ({ index, channel: `soak-agent-${index}` }));
  let next = 0;
  let nextAgent = 0;
  await Promise.all([
    ...Array.from({ length: CONCURRENCY }, async () => {
      while (next < RECORDINGS) await drive(api, next++, outcomes);
    }),
    // Agents beside them, two at a time, through the same faults and the SIGKILL.
    ...Array.from({ length: Math.min(2, AGENTS) }, async () => {
      while (nextAgent < AGENTS)
        await driveAgent(agentRuns[nextAgent++]!, {
          api,
          control: emulator.control,
          holdMs: between(profile.holdMs),
          patienceMs: STOP_PATIENCE_MS,
        });
    }),
  ]);
  await Promise.all([chaos, kill]);
  const driveSeconds = (Date.now() - started) / 1000;

  // Settle: Agora healthy again; the server must confirm every stop and leave nothing running.
  emulator.control.setChaos(0);
  emulator.control.failover(0);
  const registryFile = join(dataDir, 'registry.sqlite');
  const unclaimedStore = await createSqliteStore(registryFile);
  const unclaimedAgents = await stopUnclaimedAgents(unclaimedStore, agentRuns, api, (text) => console.log(`  ${text}`));
  const unclaimedRecordings = await stopUnclaimedRecordings(unclaimedStore, outcomes, api);
  await unclaimedStore.close();
  const settleStart = Date.now();
  while (Date.now() - settleStart < SETTLE_MS) {
    const store = await createSqliteStore(registryFile);
    const active = (await store.recordings.listActive()).length + (await store.agents.listActive()).length;
    await store.close();
    const agentsEnded = emulator.control.convoAgents().every((agent) => agent.status === 'STOPPED' || agent.status === 'FAILED');
    if (active === 0 && agentsEnded && emulator.control.tasks().every((task) => !task.active)) break;
    await sleep(1_000);
  }
  const settleSeconds = (Date.now() - settleStart) / 1000;
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));

  const figures = await compare(registryFile, emulator.control, outcomes);
  const registry = await createSqliteStore(registryFile);
  const agents = await compareAgents(registry, emulator.control, agentRuns);
  await registry.close();
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
  for (const note of agents.notes) console.log(`  ! ${note}`);
  const all = { ...figures, ...agents.figures, unclaimedRecordings, unclaimedAgents };
  report(all, driveSeconds, settleSeconds);
  process.exit(Object.entries(all).some(([name, value]) => BAD.has(name) && value > 0) ? 1 : 0);
}

/**
 * A start Agora answered just before the SIGKILL may never have answered the driver, which then
 * gave up on it: the recording runs in a channel that keeps its publisher, with nobody to stop
 * it. A user finds it in the registry's list and stops it, as the driver does here (the cluster
 * soak and the agents do the same).
 */
async function stopUnclaimedRecordings(
  store: Awaited<ReturnType<typeof createSqliteStore>>,
  outcomes: Outcome[],
  api: () => AgoraBackendClient,
) {
  const known = new Set(outcomes.flatMap((outcome) => (outcome.id ? [outcome.id] : [])));
  const unclaimed = (await store.recordings.listActive()).filter((row) => !known.has(row.id));
  for (const row of unclaimed) {
    console.log(`  stopping recording ${row.id} (${row.channel}, ${row.state}): its start's answer was lost, the registry knows it`);
    for (let attempt = 0; attempt < 60; attempt++) {
      try {
        await api().recording.stop.mutate({ id: row.id });
        break;
      } catch {
        await sleep(500);
      }
    }
  }
  return unclaimed.length;
}

const BAD = new Set(['orphans', 'duplicates', 'stuck', 'lost', 'rateLimited', 'contradictions', 'stopsGivenUp', ...AGENT_BAD]);

/** Agora's side (the emulator's tasks) against the registry, after everything settled. */
async function compare(registryFile: string, control: ReturnType<typeof createEmulator>['control'], outcomes: Outcome[]) {
  const store = await createSqliteStore(registryFile);
  const rows = (await store.recordings.list({ limit: 10_000 })).items;
  const bySid = new Map(rows.filter((row) => row.sid).map((row) => [row.sid!, row]));
  const terminal = (state: string) => state === 'stopped' || state === 'failed';
  // A SIGKILL between Agora starting a task and its answer reaching us leaves a task whose sid we
  // never learnt (Agora can only be asked about a task by its sid). The registry knows the attempt
  // (channel and uid, failed as interrupted) and Agora ends the task at its token's expiry or idle
  // exit: counted apart, not hidden (README, "Registry and watchdog").
  const interruptedStart = (task: { sid: string; cname: string; uid: string }) =>
    !bySid.has(task.sid) &&
    rows.some((row) => row.sid === null && row.state === 'failed' && row.channel === task.cname && row.uid === task.uid);
  const interrupted = control.tasks().filter(interruptedStart);
  for (const task of interrupted)
    console.log(`  interrupted start: Agora task ${task.sid} (${task.cname}, uid ${task.uid}) began as the server died`);
  const tasks = control.tasks().filter((task) => !interruptedStart(task));
  const orphans = tasks.filter((task) => task.active).length;
  const lying = tasks.filter((task) => task.active && terminal(bySid.get(task.sid)?.state ?? ''));
  for (const task of lying) {
    const row = bySid.get(task.sid)!;
    console.log(`  running upstream, ${row.state} in the registry: ${row.id} (${row.channel}) ${JSON.stringify(row.lastError)}`);
  }
  const lies = lying.length;
  const lost = tasks.filter((task) => !bySid.has(task.sid)).length;
  // A channel recorded more than once at the same time by our rows.
  const perChannel = new Map<string, number>();
  for (const task of tasks) perChannel.set(task.cname, (perChannel.get(task.cname) ?? 0) + 1);
  const duplicates = [...perChannel.values()].filter((count) => count > 1).length;
  const stuckRows = rows.filter((row) => !terminal(row.state));
  // Enough to tell why a row never ended, without the server's log: its row and every event it had.
  for (const row of stuckRows) {
    const events = await store.recordings.eventsAfter(row.id, undefined);
    const task = row.sid ? control.tasks().find((candidate) => candidate.sid === row.sid) : undefined;
    console.log(
      `  stuck: ${row.id} (${row.channel}) ${row.state}, sid ${row.sid ?? '-'}, Agora ${task ? (task.active ? 'running' : 'ended') : 'unknown'}, ` +
        `notFoundSince ${row.notFoundSince ?? '-'}, lastError ${JSON.stringify(row.lastError)}, events ${events.map((event) => event.state).join(' > ')}`,
    );
  }
  const stuck = stuckRows.length;
  let contradictions = 0;
  for (const row of rows) {
    const events = await store.recordings.eventsAfter(row.id, undefined);
    const firstEnd = events.findIndex((event) => terminal(event.state));
    const afterEnd = firstEnd === -1 ? [] : events.slice(firstEnd + 1);
    if (afterEnd.some((event) => event.state !== events[firstEnd]!.state)) contradictions++;
    else if (events.length > 0 && events.at(-1)!.state !== row.state) contradictions++;
  }
  const requests = control.requests();
  await store.close();
  return {
    recordings: rows.length,
    stopped: rows.filter((row) => row.state === 'stopped').length,
    failedStarts: rows.filter((row) => row.state === 'failed').length,
    startsGivenUp: outcomes.filter((outcome) => outcome.startFailed).length,
    stopsGivenUp: outcomes.filter((outcome) => outcome.stopGivenUp).length,
    agoraTasks: tasks.length + interrupted.length,
    interrupted: interrupted.length,
    upstreamCalls: requests.length,
    injectedFaults: requests.filter((request) => request.status >= 500).length,
    orphans,
    lies,
    duplicates,
    stuck,
    lost,
    rateLimited: requests.filter((request) => request.status === 429).length,
    contradictions,
  };
}

function report(figures: Record<string, number>, driveSeconds: number, settleSeconds: number) {
  console.log(`  drive ${driveSeconds.toFixed(0)} s, settle ${settleSeconds.toFixed(0)} s`);
  const notes: Record<string, string> = {
    orphans: 'tasks still running upstream',
    lies: 'of those, rows the registry calls stopped or failed',
    duplicates: 'channels recorded twice',
    stuck: 'rows not stopped or failed after settling',
    lost: 'upstream tasks the registry does not know',
    interrupted: 'tasks Agora began as the server was killed; their rows are failed, Agora ends them',
    rateLimited: "Agora's 429 answers",
    stopsGivenUp: 'recordings the driver could not get a stop through for in 90 s (the server was unreachable)',
    contradictions: 'recordings whose events contradict their final state',
    unclaimedRecordings: "recordings whose start's answer was lost (the SIGKILL), stopped from the registry's list",
    unclaimedAgents: "agents whose start's answer was lost, stopped from the registry's list",
    agentsFailedByAgora: 'agents Agora failed on purpose (/_emulator/agents/{id}/fail)',
    conversationsChecked: "agents whose user's speech the driver saw kept while they ran",
    agentsRunning: 'agents still running at Agora',
    agentsLost: 'agents Agora runs that the registry does not know',
    agentDuplicates: 'agent names Agora holds twice',
    agentsStuck: 'agent rows not stopped or failed after settling',
    agentStatesUntrue: 'agent rows whose end is not the one Agora gave (stopped vs failed)',
    conversationsWrong: "kept conversations with a message twice, out of Agora's order, or never said",
    conversationsLost: 'speech kept while the agent ran and gone after its end',
  };
  for (const [name, value] of Object.entries(figures)) {
    const verdict = BAD.has(name) ? (value === 0 ? '  ok' : '  FAIL') : '';
    console.log(`  ${name.padEnd(16)} ${String(value).padStart(6)}${verdict}${notes[name] ? `  (${notes[name]})` : ''}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
