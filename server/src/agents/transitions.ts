import type { Clock } from '../clock.js';
import type { EventBus } from '../events/index.js';
import type { AgentEvent, AgentPatch, AgentRecord, AgentTable } from '../store/index.js';
import { createTransitions } from '../tasks/transitions.js';
import { isTerminal } from './state.js';
import { agentNotFound } from './views.js';

/** What may still change on a stopped or failed agent: why it failed, its id (adoption), and whether its turns were read. */
const AFTER_THE_END = new Set(['lastError', 'agentId', 'turnsComplete']);

/** The only way an agent's row changes: compare-and-set, the event in the same transaction; an end is final. */
export function createAgentTransitions(options: {
  store: AgentTable;
  clock: Clock;
  bus?: EventBus<AgentEvent> | undefined;
  onEnded?: ((record: AgentRecord) => void) | undefined;
}) {
  return createTransitions<AgentRecord, AgentPatch, AgentEvent>(
    {
      afterTheEnd: (key) => AFTER_THE_END.has(key),
      visible: (patch) => patch.state !== undefined || patch.agoraStatus !== undefined,
      isTerminal,
      gone: agentNotFound,
    },
    options,
  );
}

export type AgentTransitions = ReturnType<typeof createAgentTransitions>;
