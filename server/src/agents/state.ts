import type { AgentState } from '@agora-backend/shared';
import type { ConversationalAgentState } from '../agora/index.js';
import type { AgentPatch, AgentRecord } from '../store/index.js';
import { failure, failureOr } from '../tasks/failure.js';

/**
 * Agora's agent state in our words (docs/agents.md): IDLE and STARTING are starting, RUNNING
 * running, STOPPING stopping, STOPPED stopped, FAILED failed.
 */
export function stateFromAgoraState(status: ConversationalAgentState): AgentState {
  switch (status) {
    case 'IDLE':
    case 'STARTING':
      return 'starting';
    case 'RUNNING':
      return 'running';
    case 'STOPPING':
      return 'stopping';
    case 'STOPPED':
      return 'stopped';
    case 'FAILED':
      return 'failed';
  }
}

export const isTerminal = (state: AgentState) => state === 'stopped' || state === 'failed';

/** States in the order an agent passes them: a notice or a query only moves one forward. */
const STATE_RANK: Record<AgentState, number> = { starting: 0, running: 1, stopping: 2, stopped: 3, failed: 3 };

/** What Agora's answer about an agent means for its row: its state (only forward), and why it failed. */
export function agentPatch(
  current: AgentRecord,
  agent: { status: ConversationalAgentState; message?: string | undefined },
  now: number,
): AgentPatch {
  const reported = stateFromAgoraState(agent.status);
  const state = STATE_RANK[reported] > STATE_RANK[current.state] ? reported : current.state;
  const ended = state === 'stopped' || state === 'failed';
  const said = agent.message !== undefined && agent.message !== '' ? `: ${agent.message}` : '';
  return {
    state: current.state === 'stopping' && !ended ? 'stopping' : state,
    agoraStatus: agent.status,
    notFoundSince: null,
    notFoundLastAt: null,
    ...(ended ? { stoppedAt: now } : {}),
    // The notice (110) that came first names the module: it is kept.
    ...(state === 'failed'
      ? { lastError: failureOr(current.lastError, failure(`Agora reported the agent FAILED${said}`, 'agent_failed', 'query')) }
      : {}),
  };
}
