import type { Clock } from '../clock.js';
import type { EventBus } from '../events/index.js';
import type { RecordingPatch, RecordingRecord, RecordingStore } from '../store/index.js';
import { isTerminal } from './state.js';
import { recordingNotFound } from './views.js';

export type ChangeSource = 'poll' | 'api' | 'webhook';

/** Decides the change to make from the row as it is now; undefined for none. */
export type Decide = (current: RecordingRecord) => RecordingPatch | undefined;

/** What may still change on a stopped or failed row. */
const AFTER_THE_END = new Set(['uploadingStatus', 'lastError', 'resourceId', 'sid']);

/** How often a transition re-reads and decides again after losing a race. */
const MAX_ATTEMPTS = 8;

const sameFiles = (a: RecordingRecord['files'], b: RecordingRecord['files']) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The only way a recording's row changes: compare-and-set on its version, with the event appended
 * in the same transaction, so a slow poll result can never overwrite a stop, and every change
 * watchers see is one the registry keeps. Terminal states are final.
 */
export function createTransitions(options: { store: RecordingStore; clock: Clock; bus?: EventBus | undefined; onEnded?: ((record: RecordingRecord) => void) | undefined }) {
  const { store, clock } = options;

  /**
   * The patch without fields it would not change, and on a terminal row without anything but what
   * arrives after the end: the upload outcome, and files from Agora's upload notices. A late poll
   * answer (status, files as they were) cannot touch a recording that has ended.
   */
  function effective(current: RecordingRecord, patch: RecordingPatch, source: ChangeSource): RecordingPatch {
    const terminal = isTerminal(current.state);
    const kept = Object.entries(patch).filter(([key, value]) => {
      if (terminal && !AFTER_THE_END.has(key) && !(key === 'files' && source === 'webhook')) return false;
      const field = key as keyof RecordingPatch;
      return field === 'files' ? !sameFiles(current.files, value as RecordingRecord['files']) : JSON.stringify(current[field]) !== JSON.stringify(value);
    });
    return Object.fromEntries(kept);
  }

  const visibleChange = (patch: RecordingPatch) => patch.state !== undefined || patch.agoraStatus !== undefined || patch.files !== undefined;

  /**
   * Applies `decide` to the current row until the write wins. Starts from `record` (a read the
   * caller already has); a lost race re-reads. Returns the row as it ends up.
   */
  async function move(record: RecordingRecord, decide: Decide, source: ChangeSource): Promise<RecordingRecord> {
    let current = record;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const wanted = decide(current);
      const patch = wanted ? effective(current, wanted, source) : {};
      if (Object.keys(patch).length === 0) return current;
      const written = await store.transition(current.id, current.version, patch, clock.now(), visibleChange(patch) ? { source } : undefined);
      if (written) {
        if (written.event) options.bus?.publish(written.event);
        if (isTerminal(written.record.state) && !isTerminal(current.state)) options.onEnded?.(written.record);
        return written.record;
      }
      const reread = await store.get(current.id);
      if (!reread) throw recordingNotFound();
      current = reread;
    }
    throw new Error(`recording ${record.id}: could not apply a change after ${MAX_ATTEMPTS} concurrent writes`);
  }

  return { move };
}

export type Transitions = ReturnType<typeof createTransitions>;
