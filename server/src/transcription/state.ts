import type { TranscriptionState } from '@agora-backend/shared';
import type { AgentResult, AgentStatus } from '../agora/index.js';
import type { TranscriptionPatch, TranscriptionRecord } from '../store/index.js';
import { failure, failureOr } from '../tasks/failure.js';

/**
 * Agora's agent status in our words (docs/agora.md, "Speech-to-Text"): IDLE and STARTING are
 * starting, RUNNING and RECOVERING running (Agora is still transcribing, or getting back to it),
 * STOPPING stopping, STOPPED stopped, FAILED failed.
 */
export function stateFromAgentStatus(status: AgentStatus): TranscriptionState {
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

export const isTerminal = (state: TranscriptionState) => state === 'stopped' || state === 'failed';

/** States in the order a transcription passes them: a notice or a query only moves one forward. */
export const STATE_RANK: Record<TranscriptionState, number> = { starting: 0, running: 1, stopping: 2, stopped: 3, failed: 3 };

/** FAILED with no notice before it: all Agora's query says of a failure. */
const AGENT_FAILED = failure('Agora reported the agent FAILED', 'agent_failed', 'query');

/** What Agora's answer about an agent means for its row: its status, the state it implies (only forward), and why it failed. */
export function agentPatch(current: TranscriptionRecord, agent: AgentResult, now: number): TranscriptionPatch {
  const reported = stateFromAgentStatus(agent.status);
  const state = STATE_RANK[reported] > STATE_RANK[current.state] ? reported : current.state;
  const ended = state === 'stopped' || state === 'failed';
  return {
    state: current.state === 'stopping' && !ended ? 'stopping' : state,
    agoraStatus: agent.status,
    notFoundSince: null,
    notFoundLastAt: null,
    ...(ended ? { stoppedAt: now } : {}),
    // The notice (102) that came first names the cause (ASR, RTC, translation): it is kept.
    ...(state === 'failed' ? { lastError: failureOr(current.lastError, AGENT_FAILED) } : {}),
  };
}
