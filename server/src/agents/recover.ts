import type { AgoraClient } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { AgentRecord, AgentTable } from '../store/index.js';
import { failure } from '../tasks/failure.js';
import { agentPatch } from './state.js';
import type { AgentTransitions } from './transitions.js';

/** Agents created this long before the intent row still count as its own (clocks differ). */
const CLOCK_SLACK_MS = 5_000;

/**
 * A start interrupted between Agora's join and the registry's write (no answer, a 5xx, a crash,
 * or a 409 for our own `name` after a join whose answer was lost) leaves a row with no agent id
 * while Agora may run (and bill) the agent. We send our id as Agora's `name`, so the channel's
 * agents since the intent are listed and each one no row knows is queried for its name: ours is
 * adopted; none means the join never happened and the row fails.
 */
export function createAgentRecovery(options: {
  store: AgentTable;
  agora: AgoraClient;
  clock: Clock;
  logger: Logger;
  transitions: AgentTransitions;
  onAdopted?: ((record: AgentRecord) => void) | undefined;
}) {
  const { store, agora, clock, logger, transitions } = options;

  async function findOurs(record: AgentRecord) {
    const page = await agora.convoai.list({
      channel: record.channel,
      states: ['IDLE', 'STARTING', 'RUNNING', 'STOPPING'],
      fromTime: Math.floor((record.createdAt - CLOCK_SLACK_MS) / 1000),
      toTime: Math.ceil(clock.now() / 1000),
      limit: 100,
    });
    for (const listed of page.agents) {
      // Another row's agent is not ours; this row's own (another instance adopted it meanwhile) is.
      const known = await store.findByAgentId(listed.agentId);
      if (known && known.id !== record.id) continue;
      const info = await agora.convoai.query(listed.agentId);
      if (info.name === record.id) return info;
    }
    return undefined;
  }

  return {
    async recover(record: AgentRecord): Promise<AgentRecord> {
      const ours = await findOurs(record);
      const now = clock.now();
      if (ours) {
        const adopted = await transitions.move(
          record,
          (current) => ({ ...agentPatch(current, ours, now), agentId: ours.agentId, startedAt: ours.startedAt ?? now }),
          'poll',
        );
        logger.warn({ agentTaskId: record.id, agentId: ours.agentId }, 'adopted the agent of an interrupted start');
        options.onAdopted?.(adopted);
        return adopted;
      }
      return transitions.move(
        record,
        // Adopted meanwhile by another instance (the row has the agent's id now): nothing failed.
        (current) =>
          current.agentId !== null
            ? undefined
            : {
                state: 'failed',
                stoppedAt: now,
                lastError: failure(
                  'the start was interrupted before Agora answered, and Agora runs no agent of this name',
                  'start_interrupted',
                  'rule',
                ),
              },
        'poll',
      );
    },
  };
}
