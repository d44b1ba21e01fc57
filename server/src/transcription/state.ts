import type { TranscriptionState } from '@agora-backend/shared';
import type { AgentResult, AgentStatus } from '../agora/index.js';
import type { TranscriptionPatch, TranscriptionRecord } from '../store/index.js';
import { agentStatusPatch, isAgentTaskTerminal, stateOfAgentStatus } from '../tasks/agent-state.js';
import { failure } from '../tasks/failure.js';

/**
 * Agora's agent status in our words (docs/agora.md, "Speech-to-Text"): IDLE and STARTING are
 * starting, RUNNING and RECOVERING running (Agora is still transcribing, or getting back to it),
 * STOPPING stopping, STOPPED stopped, FAILED failed (tasks/agent-state.ts).
 */
export const stateFromAgentStatus = (status: AgentStatus): TranscriptionState => stateOfAgentStatus(status);

export const isTerminal = (state: TranscriptionState) => isAgentTaskTerminal(state);

/** FAILED with no notice before it: all Agora's query says of a failure. */
const AGENT_FAILED = failure('Agora reported the agent FAILED', 'agent_failed', 'query');

/** What Agora's answer about an agent means for its row: its status, the state it implies (only forward), and why it failed. */
export function agentPatch(current: TranscriptionRecord, agent: AgentResult, now: number): TranscriptionPatch {
  // The notice (102) that came first names the cause (ASR, RTC, translation): it is kept.
  return agentStatusPatch(current, agent.status, AGENT_FAILED, now);
}
