import type { TranscriptionState } from '@agora-backend/shared';
import type { AgentStatus } from '../agora/index.js';

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
