import { isAgentNotFound, type AgentResult, type AgoraClient } from '../agora/index.js';
import type { Claims } from '../tasks/claims.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { TranscriptionPatch, TranscriptionRecord } from '../store/index.js';
import { createAgentStopper, type AgentOutcome } from '../tasks/agent-stop.js';
import type { NotFoundRule } from '../tasks/not-found.js';
import { agentPatch, isTerminal } from './state.js';
import type { TranscriptionTransitions } from './transitions.js';

export type TranscriptionOutcome = AgentOutcome<TranscriptionRecord>;

export interface TranscriptionStopperOptions {
  agora: AgoraClient;
  clock: Clock;
  logger: Logger;
  transitions: TranscriptionTransitions;
  notFound: NotFoundRule;
  /** One leave in flight per transcription, cluster-wide. */
  claims: Claims;
}

/**
 * Asking Agora about a Speech-to-Text agent and stopping it, reporting only what is true: the
 * runtime's stopper (tasks/agent-stop.ts) on Speech-to-Text's leave, query and state mapping.
 */
export function createTranscriptionStopper(options: TranscriptionStopperOptions) {
  const { agora, transitions } = options;
  return createAgentStopper<TranscriptionRecord, AgentResult, TranscriptionPatch>({
    kind: 'transcription',
    leave: (agentId, call) => agora.stt.leave(agentId, call),
    query: (agentId, call) => agora.stt.query(agentId, call),
    isNotFound: isAgentNotFound,
    patchOf: (current, answer, now) => agentPatch(current, answer, now),
    move: (record, decide, source) => transitions.move(record, decide, source),
    read: (id) => transitions.read(id),
    isTerminal,
    clock: options.clock,
    logger: options.logger,
    notFound: options.notFound,
    claims: options.claims,
  });
}

export type TranscriptionStopper = ReturnType<typeof createTranscriptionStopper>;
