import type { Clock } from '../clock.js';
import type { EventBus } from '../events/index.js';
import type { RecordingEvent, RecordingPatch, RecordingRecord, RecordingTable } from '../store/index.js';
import { createTransitions, type ChangeSource } from '../tasks/transitions.js';
import { isTerminal } from './state.js';
import { recordingNotFound } from './views.js';

export type { ChangeSource } from '../tasks/transitions.js';

/** Decides the change to make from the row as it is now; undefined for none. */
export type Decide = (current: RecordingRecord) => RecordingPatch | undefined;

/** What may still change on a stopped or failed row. */
const AFTER_THE_END = new Set(['uploadingStatus', 'lastError', 'resourceId', 'sid']);

/**
 * The only way a recording's row changes (docs/architecture.md, "A recording"). Terminal states
 * are final: on a stopped or failed row only the upload outcome, errors, and files from Agora's
 * upload notices may still change, so a late poll answer cannot touch a recording that has ended.
 */
export function createRecordingTransitions(options: {
  store: RecordingTable;
  clock: Clock;
  bus?: EventBus | undefined;
  onEnded?: ((record: RecordingRecord) => void) | undefined;
}) {
  return createTransitions<RecordingRecord, RecordingPatch, RecordingEvent>(
    {
      afterTheEnd: (key: string, source: ChangeSource) => AFTER_THE_END.has(key) || (key === 'files' && source === 'webhook'),
      visible: (patch) => patch.state !== undefined || patch.agoraStatus !== undefined || patch.files !== undefined,
      isTerminal,
      gone: recordingNotFound,
    },
    options,
  );
}

export type Transitions = ReturnType<typeof createRecordingTransitions>;
