import { isConversationalAgentNotFound, type AgentInfo, type AgoraClient } from '../agora/index.js';
import type { Claims } from '../tasks/claims.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { AgentPatch, AgentRecord } from '../store/index.js';
import { createAgentStopper as createStopper, type AgentOutcome } from '../tasks/agent-stop.js';
import type { NotFoundRule } from '../tasks/not-found.js';
import type { ChangeSource } from '../tasks/transitions.js';
import type { ConversationKeeper } from './conversation.js';
import { agentPatch, isTerminal } from './state.js';
import type { AgentTransitions } from './transitions.js';

export type AgentStopOutcome = AgentOutcome<AgentRecord>;

/**
 * Asking Agora about a Conversational AI agent and stopping it, reporting only what is true: the
 * runtime's stopper (tasks/agent-stop.ts) on Conversational AI's leave, query and states. Just
 * before a leave the conversation is read once more: Agora answers `history` only while the agent runs.
 */
export function createAgentStopper(options: {
  agora: AgoraClient;
  clock: Clock;
  logger: Logger;
  transitions: AgentTransitions;
  notFound: NotFoundRule;
  conversation: ConversationKeeper;
  /** One leave in flight per agent, cluster-wide. */
  claims: Claims;
}) {
  const { agora, transitions, logger } = options;

  /** The last read of the conversation before the agent goes: a failure here never holds up the leave. */
  async function lastHistory(record: AgentRecord, source: ChangeSource) {
    try {
      await options.conversation.readHistory(record, source);
    } catch (error) {
      logger.debug({ agentId: record.id, err: error instanceof Error ? error.message : String(error) }, 'history not read before leave');
    }
  }

  return createStopper<AgentRecord, AgentInfo, AgentPatch>({
    kind: 'agent',
    leave: (agentId, call) => agora.convoai.leave(agentId, call),
    query: (agentId, call) => agora.convoai.query(agentId, call),
    isNotFound: isConversationalAgentNotFound,
    patchOf: (current, answer, now) => agentPatch(current, answer, now),
    move: (record, decide, source) => transitions.move(record, decide, source),
    read: (id) => transitions.read(id),
    isTerminal,
    clock: options.clock,
    logger,
    notFound: options.notFound,
    claims: options.claims,
    beforeLeave: lastHistory,
    // Agora accepts the leave of an agent that failed just before: the row says failed then.
    queryAfterLeave: true,
  });
}

export type AgentStopper = ReturnType<typeof createAgentStopper>;
