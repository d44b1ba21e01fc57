import type { StoredError } from '../store/index.js';
import { failureOr } from './failure.js';

/** The states of a task Agora runs as an agent (a transcription bot, a Conversational AI agent). */
export type AgentTaskState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** Agora's agent statuses, as both agent APIs name them (Speech-to-Text adds RECOVERING). */
export type AgoraAgentStatus = 'IDLE' | 'STARTING' | 'RUNNING' | 'RECOVERING' | 'STOPPING' | 'STOPPED' | 'FAILED';

/**
 * Agora's agent status in our words: IDLE and STARTING are starting, RUNNING (and Speech-to-Text's
 * RECOVERING: still at it, or getting back to it) running, STOPPING stopping, STOPPED stopped,
 * FAILED failed.
 */
export function stateOfAgentStatus(status: AgoraAgentStatus): AgentTaskState {
  switch (status) {
    case 'IDLE':
    case 'STARTING':
      return 'starting';
    case 'RUNNING':
    case 'RECOVERING':
      return 'running';
    case 'STOPPING':
      return 'stopping';
    case 'STOPPED':
      return 'stopped';
    case 'FAILED':
      return 'failed';
  }
}

export const isAgentTaskTerminal = (state: AgentTaskState) => state === 'stopped' || state === 'failed';

/** States in the order an agent passes them: a notice or a query only moves one forward. */
export const AGENT_STATE_RANK: Record<AgentTaskState, number> = { starting: 0, running: 1, stopping: 2, stopped: 3, failed: 3 };

/**
 * What Agora's answer about an agent means for its row: its status, the state it implies (only
 * forward; a stop under way stays `stopping` until the end), and why it failed — a reason kept
 * before (a notice naming the module) wins over `failed`, all a query says.
 */
export function agentStatusPatch(
  current: { state: AgentTaskState; lastError: StoredError | null },
  status: AgoraAgentStatus,
  failed: StoredError,
  now: number,
) {
  const reported = stateOfAgentStatus(status);
  const state = AGENT_STATE_RANK[reported] > AGENT_STATE_RANK[current.state] ? reported : current.state;
  const ended = isAgentTaskTerminal(state);
  return {
    state: current.state === 'stopping' && !ended ? ('stopping' as const) : state,
    agoraStatus: status as string,
    notFoundSince: null,
    notFoundLastAt: null,
    ...(ended ? { stoppedAt: now } : {}),
    ...(state === 'failed' ? { lastError: failureOr(current.lastError, failed) } : {}),
  };
}
