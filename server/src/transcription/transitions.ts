import type { Clock } from '../clock.js';
import type { EventBus } from '../events/index.js';
import type { TranscriptionEvent, TranscriptionPatch, TranscriptionRecord, TranscriptionTable } from '../store/index.js';
import { createTransitions } from '../tasks/transitions.js';
import { isTerminal } from './state.js';
import { transcriptionNotFound } from './views.js';

/** What may still change on a stopped or failed transcription. */
const AFTER_THE_END = new Set(['lastError', 'agentId']);

export type TranscriptionDecide = (current: TranscriptionRecord) => TranscriptionPatch | undefined;

/** The only way a transcription's row changes: compare-and-set, the event in the same transaction; an end is final. */
export function createTranscriptionTransitions(options: {
  store: TranscriptionTable;
  clock: Clock;
  bus?: EventBus<TranscriptionEvent> | undefined;
  onEnded?: ((record: TranscriptionRecord) => void) | undefined;
}) {
  return createTransitions<TranscriptionRecord, TranscriptionPatch, TranscriptionEvent>(
    {
      afterTheEnd: (key) => AFTER_THE_END.has(key),
      visible: (patch) => patch.state !== undefined || patch.agoraStatus !== undefined,
      isTerminal,
      gone: transcriptionNotFound,
    },
    options,
  );
}

export type TranscriptionTransitions = ReturnType<typeof createTranscriptionTransitions>;
