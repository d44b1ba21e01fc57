import type { Clock } from '../clock.js';
import type { StoredError } from '../store/index.js';
import type { AgentTaskRecord } from './agent-stop.js';
import { startFailure } from './failure.js';
import type { ChangeSource } from './transitions.js';

/** What a join writes on a row of any agent-like kind: the failure, or Agora's id and the start. */
interface JoinPatch {
  state?: string;
  lastError?: StoredError | null;
  stoppedAt?: number | null;
  agentId?: string | null;
  startedAt?: number | null;
}

/**
 * Agora's join for a task it runs as an agent (a transcription bot, a Conversational AI agent),
 * once the intent row is written: the answer's agent id and state go on the row. A join that
 * failed in a way that may still have started an agent (`mayHaveStarted`: no answer, a 5xx, a
 * conflict for our own name) has it found and adopted (`recover`) rather than left unseen
 * (`adopted`); otherwise the row is failed and the error thrown.
 */
export async function joinOrAdopt<R extends AgentTaskRecord, A extends { agentId: string }, P extends JoinPatch>(options: {
  row: R;
  join: () => Promise<A>;
  mayHaveStarted: (error: unknown) => boolean;
  recover: (row: R) => Promise<R>;
  /** What the join's answer means for the row (its state, Agora's status). */
  patchOf: (current: R, answer: A, now: number) => P;
  move: (record: R, decide: (current: R) => P, source: ChangeSource) => Promise<R>;
  clock: Clock;
}): Promise<{ record: R; adopted: boolean }> {
  const { row, clock, move } = options;
  let answer: A;
  try {
    answer = await options.join();
  } catch (error) {
    // The agent may run though the answer was lost: adopt it rather than leave it unseen.
    const settled = options.mayHaveStarted(error) ? await options.recover(row) : row;
    if (settled.agentId) return { record: settled, adopted: true };
    await move(settled, () => ({ state: 'failed', lastError: startFailure(error), stoppedAt: clock.now() }) as P, 'api');
    throw error;
  }
  const startedAt = clock.now();
  const record = await move(
    row,
    (current) => ({ ...options.patchOf(current, answer, startedAt), agentId: answer.agentId, startedAt }),
    'api',
  );
  return { record, adopted: false };
}
