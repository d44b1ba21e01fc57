import type { AgoraClient } from '../agora/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { TranscriptionRecord, TranscriptionTable } from '../store/index.js';
import { agentPatch } from './state.js';
import { failure } from '../tasks/failure.js';
import type { TranscriptionTransitions } from './transitions.js';

/** Agents created this long before the intent row still count as its own (clocks differ). */
const CLOCK_SLACK_MS = 5_000;

/**
 * A start interrupted between Agora's join and the registry's write leaves a row with no agent id
 * while Agora may run (and bill) the agent. Agora's list names the channel's agents; one that
 * started after the intent and that no row knows is ours: it is adopted, so it can be watched and
 * stopped. None: the join never happened, the row is settled as failed. Several: we cannot tell
 * which is ours, so the row fails naming them (docs/architecture.md, "A transcription").
 */
export function createRecovery(options: {
  store: TranscriptionTable;
  agora: AgoraClient;
  clock: Clock;
  logger: Logger;
  transitions: TranscriptionTransitions;
  onAdopted?: ((record: TranscriptionRecord) => void) | undefined;
}) {
  const { store, agora, clock, logger, transitions } = options;

  async function unknownAgents(record: TranscriptionRecord) {
    const fromTime = Math.floor((record.createdAt - CLOCK_SLACK_MS) / 1000);
    const toTime = Math.ceil(clock.now() / 1000);
    const pages = await Promise.all(
      (['STARTING', 'RUNNING', 'RECOVERING'] as const).map((state) =>
        agora.stt.list({ channel: record.channel, state, fromTime, toTime, limit: 100 }),
      ),
    );
    const agents = pages.flatMap((page) => page.agents);
    const known = await Promise.all(agents.map((agent) => store.findByAgentId(agent.agentId)));
    return agents.filter((_, index) => known[index] === undefined);
  }

  return {
    async recover(record: TranscriptionRecord): Promise<TranscriptionRecord> {
      const candidates = await unknownAgents(record);
      const now = clock.now();
      if (candidates.length === 1) {
        const [agent] = candidates as [(typeof candidates)[number]];
        const adopted = await transitions.move(
          record,
          (current) => ({
            ...agentPatch(current, { agentId: agent.agentId, status: agent.status, createdAt: agent.startedAt, raw: null }, now),
            agentId: agent.agentId,
            startedAt: agent.startedAt,
          }),
          'poll',
        );
        logger.warn({ transcriptionId: record.id, agentId: agent.agentId }, 'adopted the agent of an interrupted start');
        options.onAdopted?.(adopted);
        return adopted;
      }
      const message =
        candidates.length === 0
          ? 'the start was interrupted before Agora answered, and Agora runs no agent for it'
          : `the start was interrupted before Agora answered; Agora runs agents ${candidates.map((agent) => agent.agentId).join(', ')} in the channel that no transcription knows (one may be ours: stop them through Agora if so)`;
      return transitions.move(
        record,
        // Adopted meanwhile by another instance (the row has the agent's id now): nothing failed.
        (current) =>
          current.agentId !== null
            ? undefined
            : {
                state: 'failed',
                stoppedAt: now,
                lastError: failure(message, candidates.length === 0 ? 'start_interrupted' : 'start_ambiguous', 'rule'),
              },
        'poll',
      );
    },
  };
}
