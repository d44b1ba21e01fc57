import type { Clock } from '../clock.js';
import type { BusEvent, EventBus } from '../events/index.js';
import type { ChangeSource, EventDraft } from '../store/index.js';

export type { ChangeSource } from '../store/index.js';

/** What a compare-and-set needs of a row: its id, state and version. */
export interface VersionedRow<S extends string = string> {
  id: string;
  state: S;
  version: number;
}

export interface CasOptions<R extends VersionedRow, P extends object, E> {
  /** Writes `patch` if the row is still at `expectedVersion`, with an event when `event` is given; undefined when another write came first. */
  write(
    id: string,
    expectedVersion: number,
    patch: P,
    now: number,
    event?: { source: ChangeSource },
  ): Promise<{ record: R; event: E | undefined } | undefined>;
  read(id: string): Promise<R | undefined>;
  /** The patch without what it would not change (and, on an ended row, without what may no longer change). */
  effective(current: R, patch: P, source: ChangeSource): P;
  /** Whether watchers see this change (it gets an event). */
  visible(patch: P): boolean;
  isTerminal(state: R['state']): boolean;
  now(): number;
  publish?: ((event: E) => void) | undefined;
  onEnded?: ((record: R) => void) | undefined;
  /** The error when the row has vanished. */
  gone(): Error;
}

/** How often a transition re-reads and decides again after losing a race. */
const MAX_ATTEMPTS = 8;

/**
 * The only way a task's row changes: compare-and-set on its version, with the event appended in
 * the same transaction, so a slow poll result can never overwrite a stop and every change
 * watchers see is one the registry keeps. `decide` runs on the row as it is now; a lost race
 * re-reads and decides again. Returns the row as it ends up.
 */
export function createCasMover<R extends VersionedRow, P extends object, E>(options: CasOptions<R, P, E>) {
  return async function move(record: R, decide: (current: R) => P | undefined, source: ChangeSource): Promise<R> {
    let current = record;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const wanted = decide(current);
      const patch = wanted ? options.effective(current, wanted, source) : undefined;
      if (!patch || Object.keys(patch).length === 0) return current;
      const written = await options.write(
        current.id,
        current.version,
        patch,
        options.now(),
        options.visible(patch) ? { source } : undefined,
      );
      if (written) {
        if (written.event) options.publish?.(written.event);
        if (options.isTerminal(written.record.state) && !options.isTerminal(current.state)) options.onEnded?.(written.record);
        return written.record;
      }
      const reread = await options.read(current.id);
      if (!reread) throw options.gone();
      current = reread;
    }
    throw new Error(`${record.id}: could not apply a change after ${MAX_ATTEMPTS} concurrent writes`);
  };
}

/** The fields of `patch` whose value differs from the row's (compared as JSON). */
export function changedFields<P extends object>(current: object, patch: P, keep: (key: string) => boolean = () => true): P {
  const kept = Object.entries(patch).filter(
    ([key, value]) => keep(key) && JSON.stringify((current as Record<string, unknown>)[key]) !== JSON.stringify(value),
  );
  return Object.fromEntries(kept) as P;
}

/** A kind's rules for changing its rows: which changes watchers see, and what may still change after the end. */
export interface TransitionRules<R extends VersionedRow, P extends object> {
  /** Fields of a patch that may still change on a stopped or failed row (the source may widen it). */
  afterTheEnd: (key: string, source: ChangeSource) => boolean;
  /** Whether watchers see this change (it gets an event). */
  visible: (patch: P) => boolean;
  isTerminal: (state: R['state']) => boolean;
  /** The kind's NOT_FOUND, when the row has vanished. */
  gone: () => Error;
}

/**
 * The only way a task's row changes (docs/architecture.md, "A recording"): compare-and-set on its
 * table with the event in the same transaction, published to watchers; an end is final but for
 * what `rules.afterTheEnd` lets through.
 */
export function createTransitions<R extends VersionedRow, P extends object, E extends BusEvent>(
  rules: TransitionRules<R, P>,
  options: {
    store: {
      transition(
        id: string,
        expectedVersion: number,
        patch: P,
        now: number,
        event?: EventDraft,
      ): Promise<{ record: R; event: E | undefined } | undefined>;
      get(id: string): Promise<R | undefined>;
    };
    clock: Clock;
    bus?: EventBus<E> | undefined;
    onEnded?: ((record: R) => void) | undefined;
  },
) {
  const { store, clock, bus } = options;
  const move = createCasMover<R, P, E>({
    write: (id, version, patch, now, event) => store.transition(id, version, patch, now, event),
    read: (id) => store.get(id),
    effective: (current, patch, source) => {
      const terminal = rules.isTerminal(current.state);
      return changedFields(current, patch, (key) => !terminal || rules.afterTheEnd(key, source));
    },
    visible: rules.visible,
    isTerminal: rules.isTerminal,
    now: () => clock.now(),
    publish: bus ? (event) => bus.publish(event) : undefined,
    onEnded: options.onEnded,
    gone: rules.gone,
  });
  return {
    move: (record: R, decide: (current: R) => P | undefined, source: ChangeSource) => move(record, decide, source),
    /** The row as the registry has it now (a stop re-reads it once it holds the claim). */
    read: (id: string): Promise<R | undefined> => store.get(id),
  };
}
