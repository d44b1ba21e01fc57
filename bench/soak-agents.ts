/**
 * Conversational AI agents in both soaks (`pnpm soak`, `pnpm soak:cluster`): each agent is started,
 * spoken to by someone in its channel, sometimes failed by Agora on purpose, then stopped, through
 * whatever faults the soak runs (5xx, failover 404s, lost join answers, a SIGKILL, cut sessions);
 * afterwards Agora's side (the emulator) is compared with the registry: no agent left running,
 * every row's state what Agora says, every conversation kept whole, once and in order.
 */
import type { AgoraBackendClient } from '../client/src/node.js';
import type { Registry } from '@agora-backend/server';
import type { createEmulator } from '@agora-backend/server/testing';
import { sleep } from './soak-common.js';

type Control = ReturnType<typeof createEmulator>['control'];

/** The soak's one profile: the embedded demo agent's settings, callers naming the user it hears. */
export const SOAK_AGENT_PROFILES = JSON.stringify({
  profiles: {
    default: {
      description: 'Soak agent on the emulator: no vendor keys.',
      settings: {
        idle_timeout: 30,
        asr: { vendor: 'ares', language: 'en-US' },
        llm: {
          url: 'https://llm.emulator.invalid/v1/chat/completions',
          params: { model: 'emulated' },
          greeting_message: 'Hello from the soak agent.',
        },
        tts: { vendor: 'microsoft', params: { voice_name: 'en-US-AndrewMultilingualNeural' } },
      },
      allow: { remoteUids: true },
    },
  },
});

export interface AgentRun {
  index: number;
  channel: string;
  id?: string;
  agentId?: string;
  /** What the user said, once the agent was heard to hear it and the server kept it. */
  said?: string;
  /** Failed by Agora on purpose (`/_emulator/agents/{id}/fail`): the row must end failed. */
  failedOnPurpose?: boolean;
  startGivenUp?: boolean;
  stopGivenUp?: boolean;
}

/**
 * One agent, as a user would drive it: start (again after a failure, with patience through a
 * restart), someone speaks and the user reads the history until the speech is there, every fourth
 * agent fails at Agora, then stop until the server takes it. `api(n)` picks the instance for a call.
 */
export async function driveAgent(
  run: AgentRun,
  options: { api: (n: number) => AgoraBackendClient; control: Control; holdMs: number; patienceMs: number },
): Promise<void> {
  const { api, control } = options;
  const until = Date.now() + options.patienceMs;
  for (let attempt = 0; !run.id && Date.now() < until; attempt++) {
    try {
      const started = await api(run.index + attempt).agent.start.mutate({ channel: run.channel, remoteUids: ['100'] });
      Object.assign(run, { id: started.id, agentId: started.agentId });
    } catch {
      await sleep(500);
    }
  }
  if (!run.id || !run.agentId) {
    run.startGivenUp = true;
    return;
  }
  await sleep(options.holdMs / 2);
  // Someone speaks once the agent is up (Agora's STARTING agents hear nobody yet).
  for (let wait = 0; wait < 50 && control.convoAgent(run.agentId)?.status === 'STARTING'; wait++) await sleep(100);
  const text = `soak agent ${run.index} hears you`;
  if (control.speak(run.channel, { uid: '100', text, durationMs: 200 }).includes(run.agentId)) {
    for (let attempt = 0; Date.now() < until; attempt++) {
      try {
        const history = await api(run.index + attempt).agent.history.query({ id: run.id });
        if (history.messages.some((message) => message.content === text)) {
          run.said = text;
          break;
        }
        // Still `starting` until the server confirms the join (~5 s): Agora's history is read from `running`.
        if (history.state !== 'starting' && history.state !== 'running') break;
      } catch {
        // Agora or the server is failing: a user asks again.
      }
      await sleep(500);
    }
  }
  if (run.index % 4 === 3 && control.failConvoAgent(run.agentId, 'llm', 'soak: the model failed')) run.failedOnPurpose = true;
  await sleep(options.holdMs / 2);
  for (let attempt = 0; Date.now() < until + options.patienceMs; attempt++) {
    try {
      await api(run.index + attempt + 1).agent.stop.mutate({ id: run.id });
      return; // stopped, or stopping: the server owns it from here
    } catch {
      await sleep(500);
    }
  }
  run.stopGivenUp = true;
}

const ENDED = new Set(['STOPPED', 'FAILED']);
const terminal = (state: string) => state === 'stopped' || state === 'failed';

/** Whether `kept` appears in `all` in order (each once, none invented). */
function inOrderWithin(kept: readonly string[], all: readonly string[]): boolean {
  let at = 0;
  for (const message of kept) {
    while (at < all.length && all[at] !== message) at++;
    if (at === all.length) return false;
    at++;
  }
  return true;
}

/** Agora's agents (the emulator) against the registry's agent rows and kept conversations, after settling. */
export async function compareAgents(registry: Registry, control: Control, runs: readonly AgentRun[]) {
  const rows = (await registry.agents.list({ limit: 10_000 })).items;
  const byName = new Map(rows.map((row) => [row.id, row]));
  const agents = control.convoAgents();
  const notes: string[] = [];
  const running = agents.filter((agent) => !ENDED.has(agent.status));
  for (const agent of running)
    notes.push(`agent ${agent.agentId} (${agent.channel}) still ${agent.status}, registry: ${byName.get(agent.name)?.state ?? 'unknown'}`);
  const lost = agents.filter((agent) => !byName.has(agent.name));
  for (const agent of lost) notes.push(`agent ${agent.agentId} (${agent.channel}, name ${agent.name}) unknown to the registry`);
  const perName = new Map<string, number>();
  for (const agent of agents) perName.set(agent.name, (perName.get(agent.name) ?? 0) + 1);
  const duplicates = [...perName.values()].filter((count) => count > 1).length;
  const stuck = rows.filter((row) => !terminal(row.state));
  for (const row of stuck) notes.push(`agent row ${row.id} (${row.channel}) stuck in ${row.state}`);
  // Truthful: a row's end is the one Agora gave its agent.
  let untrue = 0;
  let conversationsWrong = 0;
  for (const agent of agents) {
    const row = byName.get(agent.name);
    if (!row) continue;
    const expected = agent.status === 'STOPPED' ? 'stopped' : agent.status === 'FAILED' ? 'failed' : undefined;
    if (expected && row.state !== expected) {
      untrue++;
      notes.push(`agent row ${row.id}: ${row.state}, Agora says ${agent.status}`);
    }
    const kept = (await registry.agents.conversation.messages(row.id)).map((message) => `${message.role}: ${message.content}`);
    const all = agent.history.map((entry) => `${entry.role}: ${entry.content}`);
    if (new Set(kept).size !== kept.length || !inOrderWithin(kept, all)) {
      conversationsWrong++;
      notes.push(`agent row ${row.id}: kept ${JSON.stringify(kept)}, Agora said ${JSON.stringify(all)}`);
    }
  }
  // What the user saw kept while the agent ran is still kept after its end.
  let conversationsLost = 0;
  for (const run of runs) {
    if (!run.id || !run.said) continue;
    const kept = await registry.agents.conversation.messages(run.id);
    if (!kept.some((message) => message.content === run.said)) {
      conversationsLost++;
      notes.push(`agent row ${run.id}: "${run.said}" was kept while it ran, and is gone`);
    }
  }
  const failedOnPurpose = runs.filter((run) => run.failedOnPurpose && run.id);
  return {
    figures: {
      agents: rows.length,
      agentsStopped: rows.filter((row) => row.state === 'stopped').length,
      agentsFailed: rows.filter((row) => row.state === 'failed').length,
      agentsFailedByAgora: failedOnPurpose.length,
      conversationsChecked: runs.filter((run) => run.said).length,
      agentStartsGivenUp: runs.filter((run) => run.startGivenUp).length,
      agentStopsGivenUp: runs.filter((run) => run.stopGivenUp).length,
      agentsRunning: running.length,
      agentsLost: lost.length,
      agentDuplicates: duplicates,
      agentsStuck: stuck.length,
      agentStatesUntrue: untrue,
      conversationsWrong,
      conversationsLost,
    },
    notes,
  };
}

/** The figures of compareAgents that fail a soak when above 0. */
export const AGENT_BAD = [
  'agentStopsGivenUp',
  'agentsRunning',
  'agentsLost',
  'agentDuplicates',
  'agentsStuck',
  'agentStatesUntrue',
  'conversationsWrong',
  'conversationsLost',
];

/**
 * Agent rows the drivers never learnt of (a start's answer lost with a killed server: Agora's agent
 * was found by its name and adopted, running) are stopped as a user would, from a list; answers
 * how many.
 */
export async function stopUnclaimedAgents(
  registry: Registry,
  runs: readonly AgentRun[],
  api: (n: number) => AgoraBackendClient,
  log: (text: string) => void,
): Promise<number> {
  const known = new Set(runs.flatMap((run) => (run.id ? [run.id] : [])));
  const unclaimed = (await registry.agents.listActive()).filter((row) => !known.has(row.id));
  for (const [n, row] of unclaimed.entries()) {
    log(`stopping agent ${row.id} (${row.channel}, ${row.state}): its start's answer was lost, the registry knows it`);
    for (let attempt = 0; attempt < 60; attempt++) {
      try {
        await api(n + attempt).agent.stop.mutate({ id: row.id });
        break;
      } catch {
        await sleep(500);
      }
    }
  }
  return unclaimed.length;
}
