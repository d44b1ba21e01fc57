import type { Clock } from '../clock.js';
import type { EventBus } from '../events/index.js';
import type { RecordingPatch, RecordingRecord, RecordingTable } from '../store/index.js';
import { changedFields, createCasMover, type ChangeSource } from '../tasks/transitions.js';
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
export function createRecordingTransitions(options: { store: RecordingTable; clock: Clock; bus?: EventBus | undefined; onEnded?: ((record: RecordingRecord) => void) | undefined }) {
  const { store, clock } = options;
  const move = createCasMover({
    write: (id, version, patch: RecordingPatch, now, event) => store.transition(id, version, patch, now, event),
    read: (id) => store.get(id),
    effective: (current: RecordingRecord, patch: RecordingPatch, source: ChangeSource) => {
      const terminal = isTerminal(current.state);
      return changedFields(current, patch, (key) => !terminal || AFTER_THE_END.has(key) || (key === 'files' && source === 'webhook'));
    },
    visible: (patch) => patch.state !== undefined || patch.agoraStatus !== undefined || patch.files !== undefined,
    isTerminal,
    now: () => clock.now(),
    publish: options.bus ? (event) => options.bus!.publish(event) : undefined,
    onEnded: options.onEnded,
    gone: recordingNotFound,
  });
  return { move: (record: RecordingRecord, decide: Decide, source: ChangeSource) => move(record, decide, source) };
}

export type Transitions = ReturnType<typeof createRecordingTransitions>;
