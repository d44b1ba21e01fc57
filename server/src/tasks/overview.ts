import type { AdminOverviewOutput, AgentState, RecentFailure, RecordingState, TranscriptionState } from '@agora-backend/shared';
import type { Registry } from '../store/index.js';

/** How many failures of each kind the overview lists. */
const RECENT_FAILURES = 10;

const RECORDING_STATES: readonly RecordingState[] = ['starting', 'recording', 'stopping', 'stopped', 'failed'];
const TRANSCRIPTION_STATES: readonly TranscriptionState[] = ['starting', 'running', 'stopping', 'stopped', 'failed'];
const AGENT_STATES: readonly AgentState[] = ['starting', 'running', 'stopping', 'stopped', 'failed'];

/** Every state with its count (0 where the registry has none). */
const everyState = <S extends string>(states: readonly S[], counts: Partial<Record<S, number>>) =>
  Object.fromEntries(states.map((state) => [state, counts[state] ?? 0])) as Record<S, number>;

/**
 * The operator's overview (admin.overview): counts by state and the newest failures with their
 * reasons, from the registry; upstream health from the metrics' own counters (`upstream`).
 */
export function createOverview(options: { store: Registry; upstream: () => Promise<AdminOverviewOutput['upstream']>; now: () => number }) {
  const { store } = options;
  return async function overview(): Promise<AdminOverviewOutput> {
    const [recordings, transcriptions, agents, failedRecordings, failedTranscriptions, failedAgents, upstream] = await Promise.all([
      store.recordings.countByState(),
      store.transcriptions.countByState(),
      store.agents.countByState(),
      store.recordings.list({ state: 'failed', limit: RECENT_FAILURES }),
      store.transcriptions.list({ state: 'failed', limit: RECENT_FAILURES }),
      store.agents.list({ state: 'failed', limit: RECENT_FAILURES }),
      options.upstream(),
    ]);
    const failure =
      (kind: RecentFailure['kind']) =>
      (row: { id: string; channel: string; stoppedAt: number | null; createdAt: number; lastError: RecentFailure['lastError'] }) => ({
        kind,
        id: row.id,
        channel: row.channel,
        stoppedAt: row.stoppedAt === null ? null : new Date(row.stoppedAt),
        lastError: row.lastError,
        at: row.stoppedAt ?? row.createdAt,
      });
    const recent = [
      ...failedRecordings.items.map(failure('recording')),
      ...failedTranscriptions.items.map(failure('transcription')),
      ...failedAgents.items.map(failure('agent')),
    ]
      .sort((a, b) => b.at - a.at)
      .slice(0, RECENT_FAILURES)
      .map(({ at: _at, ...rest }) => rest);
    return {
      recordings: everyState(RECORDING_STATES, recordings),
      transcriptions: everyState(TRANSCRIPTION_STATES, transcriptions),
      agents: everyState(AGENT_STATES, agents),
      recentFailures: recent,
      upstream,
      at: new Date(options.now()),
    };
  };
}
