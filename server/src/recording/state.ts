import type { RecordingState } from '@agora-backend/shared';

/**
 * Agora's serverResponse.status (docs/agora.md, "Query answers and status") in our words: 0–3
 * starting, 4–5 recording, 6–7 stopping, 8 stopped, 20 failed.
 */
export function stateFromAgoraStatus(status: number): RecordingState {
  if (status === 20) return 'failed';
  if (status >= 8) return 'stopped';
  if (status >= 6) return 'stopping';
  if (status >= 4) return 'recording';
  return 'starting';
}

export const isTerminal = (state: RecordingState) => state === 'stopped' || state === 'failed';
