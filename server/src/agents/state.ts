import type { AgentState } from '@agora-backend/shared';
import type { ConversationalAgentState } from '../agora/index.js';
import type { AgentPatch, AgentRecord } from '../store/index.js';
import { agentStatusPatch, isAgentTaskTerminal, stateOfAgentStatus } from '../tasks/agent-state.js';
import { failure } from '../tasks/failure.js';

/**
 * Agora's agent state in our words (docs/agents.md): IDLE and STARTING are starting, RUNNING
 * running, STOPPING stopping, STOPPED stopped, FAILED failed (tasks/agent-state.ts).
 */
export const stateFromAgoraState = (status: ConversationalAgentState): AgentState => stateOfAgentStatus(status);

export const isTerminal = (state: AgentState) => isAgentTaskTerminal(state);

/** What Agora's answer about an agent means for its row: its state (only forward), and why it failed. */
export function agentPatch(
  current: AgentRecord,
  agent: { status: ConversationalAgentState; message?: string | undefined },
  now: number,
): AgentPatch {
  const said = agent.message !== undefined && agent.message !== '' ? `: ${agent.message}` : '';
  // The notice (110) that came first names the module: it is kept.
  return agentStatusPatch(current, agent.status, failure(`Agora reported the agent FAILED${said}`, 'agent_failed', 'query'), now);
}
