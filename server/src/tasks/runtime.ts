import { setMaxListeners } from 'node:events';
import type { Clock } from '../clock.js';
import type { Leases } from '../cluster/types.js';
import { createInMemoryBus, type BusEvent, type EventBus } from '../events/index.js';
import type { Logger } from '../logger.js';
import type { TaskEvent, TaskRecord, TaskTable } from '../store/index.js';
import { reportFailure } from './failure.js';
import { createFollowers, type TaskFollow } from './follow.js';
import type { NotFoundRule } from './not-found.js';
import { createPollers, type PollCall } from './poller.js';
import type { Viewer } from './views.js';
import { createWatchHub, registryLog, type WatchOpener } from './watch.js';
import { createWatchdog, type SettlingService } from './watchdog.js';
import type { PublisherLookup } from './start-warnings.js';

/** How often, and how patiently, every kind of task is watched (the parsed configuration's share). */
export interface TaskSettings {
  watchdogIntervalMs: number;
  /** POLL_INTERVAL_SECONDS: how often each active task is queried (default 30 s). */
  pollIntervalMs?: number;
  /** How long after Agora named the task the poller confirms the start (Agora: about 5 s). */
  confirmDelayMs?: number;
  /** How long Agora's 404s must last before a task counts as gone (default 90 s). */
  failoverWindowMs?: number;
  /** With several instances, a start with no Agora id is settled after this long (default 60 s). */
  startSettleMs?: number;
}

/** What a kind's runtime runs on, given by compose.ts. */
export interface TaskRuntimeDeps<E extends BusEvent> {
  clock: Clock;
  logger: Logger;
  /** Where the kind's events go (PostgreSQL relays them between instances); default in-process. */
  bus?: EventBus<E> | undefined;
  leases?: Leases | undefined;
  /** Who publishes in a channel: starts warn when nobody does (tasks/start-warnings.ts). */
  publishers?: PublisherLookup | undefined;
  /** Told what the watchdog did (metrics). */
  onWatchdogAction?: ((action: 'max_duration_stop' | 'start_settled') => void) | undefined;
  /** Told after each poll how long it came after the previous one of that task (metrics). */
  onPolled?: ((gapMs: number) => void) | undefined;
  /** Told each failure's reason (metrics). */
  onFailed?: ((reason: string) => void) | undefined;
}

/** What the runtime hands a kind's service: where events go, the 404 rule, and the poller's hooks. */
export interface TaskHooks<R extends TaskRecord, E extends BusEvent> {
  bus: EventBus<E>;
  notFound: NotFoundRule;
  /** With several instances, how long a start with no Agora id may still be running elsewhere; 0 with one. */
  startSettleMs: number;
  leases: Leases | undefined;
  /** Agora named the task and the row has it: the poller takes over (at once for a stop asked meanwhile). */
  onStarted: (record: R) => void;
  /** The task reached a final state: its poller goes, a failure is reported. */
  onEnded: (record: R) => void;
}

/** What the runtime needs of a kind's service (the rest is the kind's own, for its router). */
export interface TaskService<R extends TaskRecord> extends SettlingService<R> {
  /** Queries Agora once and stores what it says (a stopping task gets its stop sent again). */
  reconcile(record: R, call: PollCall): Promise<R>;
  /** Stops the task (the poller, at a deadline). */
  stopRecord(record: R, source: 'api' | 'poll'): Promise<{ record: R }>;
  /** The task if `viewer` may see it, else the kind's NOT_FOUND. */
  visible(id: string, viewer: Viewer): Promise<R>;
}

/**
 * A kind of Agora task, as the runtime drives it (docs/architecture.md, "Adding a kind of task"):
 * its table in the registry, its state rules, what its events look like to clients, and its
 * service built on the runtime's hooks. Everything else — pollers, the watchdog sweep, watch
 * streams, history, waking a task on a notice — is the runtime's.
 */
export interface TaskKind<R extends TaskRecord, E extends TaskEvent<R['state']>, S extends TaskService<R>, O> {
  /** `recording`, `transcription`, `agent`: in logs (`<kind>Id`), failures and the settle lease. */
  kind: string;
  /** The lease whose holder settles interrupted starts. */
  settleLease: string;
  table: Pick<TaskTable<R, object, E>, 'get' | 'listActive' | 'latestEvent' | 'eventsAfter'>;
  /** A task's events' topic on the bus (its id). */
  topic: (event: E) => string;
  /** A state after which the task changes no more. */
  isTerminal: (state: R['state']) => boolean;
  /** Agora has named the task (a sid, an agent id): there is something to poll. */
  started: (record: R) => boolean;
  /** Still coming up: the poller asks again after the confirm delay, not a whole interval. */
  settling?: ((record: R) => boolean) | undefined;
  /** A deadline the task must not outlive (max duration, token expiry): the poller holding it stops it. */
  deadline?: { passed: (record: R, now: number) => boolean; reason: string; action?: 'max_duration_stop' } | undefined;
  /** What is read more often while someone watches the task (an agent's history); built on the service. */
  follow?: ((service: S) => TaskFollow<R>) | undefined;
  /** An event as watchers and history see it. */
  toStatusEvent: (event: E) => O;
  createService: (hooks: TaskHooks<R, E>) => S;
}

/**
 * One kind of task at run time: its service, one poller per active task (cluster-wide), the
 * watchdog sweep, the bus watchers listen on, watch and history streams.
 */
export function createTaskRuntime<R extends TaskRecord, E extends TaskEvent<R['state']>, S extends TaskService<R>, O>(
  kind: TaskKind<R, E, S, O>,
  settings: TaskSettings,
  deps: TaskRuntimeDeps<E>,
) {
  const { clock, logger, leases } = deps;
  const { table, isTerminal } = kind;
  const bus = deps.bus ?? createInMemoryBus<E>(kind.topic);
  const shutdown = new AbortController();
  // Each followed task's reader listens on it: many are expected.
  setMaxListeners(0, shutdown.signal);
  const intervalMs = settings.pollIntervalMs ?? 30_000;
  const service = kind.createService({
    bus,
    // A run of 404s survives a couple of failed polls, not a silence of several intervals.
    notFound: { failoverWindowMs: settings.failoverWindowMs ?? 90_000, maxGapMs: 2.5 * intervalMs },
    startSettleMs: leases ? (settings.startSettleMs ?? 60_000) : 0,
    leases,
    // A stop asked for while the start was in flight is sent at once; otherwise confirm in ~5 s.
    onStarted: (record) => void pollers.ensure(record, record.state === 'stopping' ? 'now' : 'confirm'),
    // Ends the poller (and drops a poll of it still waiting for the rate budget). After the
    // current I/O turn, so that the answer to whoever ended the task goes first.
    onEnded: (record) => {
      if (record.state === 'failed') reportFailure(logger, kind.kind, record, deps.onFailed);
      setImmediate(() => pollers.end(record.id));
    },
  });
  const pollers = createPollers<R>({
    // The instance that polls a task is the one that stops it at its deadline.
    reconcile: async (record, call) => {
      if (!kind.deadline?.passed(record, clock.now())) return service.reconcile(record, call);
      logger.info({ [`${kind.kind}Id`]: record.id }, `${kind.deadline.reason}: stopping`);
      if (kind.deadline.action) deps.onWatchdogAction?.(kind.deadline.action);
      return (await service.stopRecord(record, 'poll')).record;
    },
    load: (id) => table.get(id),
    ended: (record) => isTerminal(record.state),
    started: kind.started,
    ...(kind.settling ? { settling: kind.settling } : {}),
    clock,
    logger,
    intervalMs,
    confirmDelayMs: settings.confirmDelayMs ?? 5_000,
    ...(leases ? { leases, handoverMs: intervalMs } : {}),
    ...(deps.onPolled ? { onPolled: deps.onPolled } : {}),
  });
  const followers =
    kind.follow &&
    createFollowers<R>({
      follow: kind.follow(service),
      load: (id) => table.get(id),
      ended: (record) => isTerminal(record.state),
      clock,
      logger,
      signal: shutdown.signal,
    });
  // Pushed to their sinks, one bus listener per watched task: a generator or a signal per watcher
  // cost memory for hours (bench/README.md).
  const watches = createWatchHub<E, O>({
    log: registryLog(table, isTerminal),
    bus,
    isTerminal,
    toClient: kind.toStatusEvent,
    until: shutdown.signal,
    follow: followers ? (id) => followers.follow(id) : undefined,
  });
  // A notice that reached another instance: poll now, if the task is polled here.
  bus.onPoke?.((id) => pollers.kick(id));
  const watchdog = createWatchdog<R>({
    kind: kind.kind,
    settleLease: kind.settleLease,
    started: kind.started,
    pastDeadline: kind.deadline?.passed,
    service,
    store: table,
    clock,
    logger,
    intervalMs: settings.watchdogIntervalMs,
    ...(settings.startSettleMs !== undefined ? { abandonStartAfterMs: settings.startSettleMs } : {}),
    adopt: (record, delayMs, cap) => pollers.ensure(record, 'adopt', delayMs, cap),
    wake: (id) => pollers.kick(id),
    polled: pollers,
    ...(deps.onWatchdogAction ? { onAction: deps.onWatchdogAction } : {}),
    ...(leases ? { leases } : {}),
  });

  return {
    service,
    pollers,
    bus,
    /** Starts the watchdog; its first sweep adopts every task the registry believes active. */
    start: () => watchdog.start(),
    sweep: () => watchdog.sweep(),
    /**
     * One watcher's stream of the task's events, opened into a sink: replayed after `lastEventId`,
     * then live, until it ends. Opening rejects with the kind's NOT_FOUND when `viewer` may not see the task.
     */
    watch(id: string, lastEventId: string | undefined, viewer: Viewer): WatchOpener<O> {
      return async (sink) => {
        await service.visible(id, viewer);
        return watches.open(id, lastEventId === undefined ? undefined : Number(lastEventId), sink);
      };
    },
    /** Watches open now (of one task, or in all). */
    watchers: (id?: string) => watches.count(id),
    /** The task's whole event log, oldest first (`<kind>.history`): a finished one's too. */
    async history(id: string, viewer: Viewer) {
      await service.visible(id, viewer);
      const events = await table.eventsAfter(id, undefined);
      return { id, events: events.map((event) => ({ eventId: String(event.id), ...kind.toStatusEvent(event) })) };
    },
    /**
     * A notice said the task changed: it is never taken on its word, the task is queried now.
     * Only the instance that polls a task calls Agora about it: here, or adopt it if nobody does;
     * polled by another instance, that one is told.
     */
    async pollNow(record: R) {
      if (isTerminal(record.state)) return;
      if (pollers.has(record.id)) pollers.kick(record.id);
      else await pollers.ensure(record, 'adopt', 0);
      if (!pollers.has(record.id)) bus.poke?.(record.id);
    },
    /** Ends every watch stream (at shutdown, so SSE and WebSocket streams let connections close). */
    endWatches: () => shutdown.abort(),
    /** Ends every watch stream, then stops the watchdog and pollers. */
    async close() {
      shutdown.abort();
      await watchdog.close();
      await pollers.close();
    },
  };
}

export type TaskRuntime<R extends TaskRecord, E extends TaskEvent<R['state']>, S extends TaskService<R>, O> = ReturnType<
  typeof createTaskRuntime<R, E, S, O>
>;
