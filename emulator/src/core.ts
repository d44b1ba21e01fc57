import type { Clock } from './clock.js';
import { createFaults } from './faults.js';
import { fail, refresh, refreshAll } from './lifecycle.js';
import type { EmulatorLogger } from './logger.js';
import { createNotifier } from './notifications.js';
import { isRecord } from './replies.js';
import { dispatch } from './routes.js';
import { viewOf } from './task-model.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_TIMING,
  type EmulatorLimits,
  type EmulatorTiming,
  type Endpoint,
  type Fault,
  type IncomingCall,
  type Reply,
  type RequestLogEntry,
  type Task,
  type TaskView,
} from './types.js';
import { isActive, type World } from './world.js';
import { agentView } from './stt/endpoints.js';
import { agentActive, endAgent, refreshAgents, speak } from './stt/lifecycle.js';
import type { AgentEndReason, AgentView } from './stt/types.js';
import { convoAgentView } from './convoai/endpoints.js';
import { convoActive, convoHear, failConvoAgent, refreshConvoAgents } from './convoai/lifecycle.js';
import type { ConvoAgentView, FailureModule } from './convoai/types.js';
import {
  changeRole,
  channelView,
  createChannelWorld,
  joinChannel,
  leaveChannel,
  refreshChannels,
  setProfile,
  type JoinOutcome,
  type JoinRequest,
} from './channels/model.js';
import type { BanRule, ChannelView, Profile } from './channels/types.js';

/**
 * The emulator's model of Agora Cloud Recording, independent of HTTP: Agora's REST calls in,
 * answers and notifications out, and the controls tests use (presence, faults, inspection).
 */

export interface EmulatorCoreOptions {
  appId: string;
  appCertificate: string;
  customerId: string;
  customerSecret: string;
  clock: Clock;
  /** The local stand-in for storage buckets. */
  storageDir: string;
  timing?: Partial<EmulatorTiming>;
  limits?: Partial<EmulatorLimits>;
  logger: EmulatorLogger;
  /** Notification resends wait this, then 2× and 4× (default 1 s). */
  notificationRetryMs?: number;
}

function createWorld(options: EmulatorCoreOptions): World {
  const pendingWrites = new Set<Promise<unknown>>();
  return {
    appId: options.appId,
    appCertificate: options.appCertificate,
    clock: options.clock,
    timing: { ...DEFAULT_TIMING, ...options.timing },
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    storageDir: options.storageDir,
    resources: new Map(),
    tasks: new Map(),
    agents: new Map(),
    convoAgents: new Map(),
    publishers: new Map(),
    channel: createChannelWorld(),
    notifier: createNotifier({
      clock: options.clock,
      logger: options.logger,
      ...(options.notificationRetryMs !== undefined ? { retryBaseMs: options.notificationRetryMs } : {}),
      // A snapshot is announced once its upload is done.
      pendingWork: () => Promise.all([...pendingWrites]),
    }),
    pendingWrites,
  };
}

/** How often time-driven changes (idle exits, snapshots) are looked for while notifications are on. */
const TICK_MS = 250;

export function createEmulatorCore(options: EmulatorCoreOptions) {
  const world = createWorld(options);
  const { timing, limits } = world;
  const faults = createFaults(options.clock, () => limits.requestsPerSecond);
  const expectedAuthorization = `Basic ${Buffer.from(`${options.customerId}:${options.customerSecret}`).toString('base64')}`;
  const requestLog: RequestLogEntry[] = [];
  // Without calls nothing moves in a lazy model; a webhook listener expects idle exits on time.
  let ticker: NodeJS.Timeout | undefined;

  return {
    /** Answers one REST call as Agora would, and logs it. */
    async handle(call: IncomingCall): Promise<Reply> {
      const receivedAt = options.clock.now();
      const { reply, endpoint } = await dispatch({ world, faults, expectedAuthorization }, call);
      if (faults.latency() > 0) await options.clock.sleep(faults.latency());
      const lostForMs = reply.status < 300 && endpoint !== 'unknown' ? faults.takeLoss(endpoint) : 0;
      if (lostForMs > 0) await options.clock.sleep(lostForMs);
      const code = isRecord(reply.body) && typeof reply.body.code === 'number' ? reply.body.code : undefined;
      requestLog.push({
        at: receivedAt,
        answeredAt: options.clock.now(),
        method: call.method,
        path: call.path,
        endpoint,
        status: reply.status,
        code,
        client: call.userAgent,
      });
      return reply;
    },
    ...presence(world),
    /** The next `times` calls to an endpoint answer with this status and body. */
    injectFault: (fault: Fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    /** A `share` (0–1) of calls fail as Agora's transient errors do, with no effect; `seed` repeats the choice. */
    setChaos: (share: number, seed?: number) => faults.setChaos(share, seed),
    /** For `durationMs` from now, query and stop answer 404 as during Agora's failover. */
    failover: (durationMs: number) => faults.failover(durationMs),
    setLatency: (ms: number) => faults.setLatency(ms),
    /** The next `times` successful answers of `endpoint` reach the caller only after `delayMs`: done, but the answer is lost. */
    loseAnswers: (endpoint: Endpoint, times: number, delayMs: number) => faults.loseAnswers(endpoint, times, delayMs),
    /** A fatal error on Agora's side: an error notice, then the task exits abnormally (status 20). */
    failTask(sid: string, error: { module: number; errorCode: number; errorMsg: string }): boolean {
      const task = world.tasks.get(sid);
      if (!task || !isActive(task)) return false;
      fail(world, task, error);
      return true;
    },
    /** A fatal error of a Speech-to-Text agent: it ends FAILED with the notice's message for `reason`. */
    failAgent(agentId: string, reason: Extract<AgentEndReason, 'rtc' | 'asr' | 'translation'>): boolean {
      const agent = world.agents.get(agentId);
      if (!agent || !agentActive(agent)) return false;
      endAgent(world, agent, options.clock.now(), reason);
      return true;
    },
    /** A fatal error of a Conversational AI agent: notice 110, then FAILED with `module: message`. */
    failConvoAgent(agentId: string, module: FailureModule, message?: string): boolean {
      const agent = world.convoAgents.get(agentId);
      if (!agent || !convoActive(agent)) return false;
      failConvoAgent(world, agent, module, message);
      return true;
    },
    /**
     * Someone says `text` in `cname`: every running Speech-to-Text agent that hears `uid` writes it
     * into its captions, and every Conversational AI agent listening to `uid` answers it.
     */
    speak: (cname: string, speech: { uid: string; text: string; durationMs: number; language?: string | undefined }) => [
      ...speak(world, cname, speech),
      ...convoHear(world, cname, speech),
    ],
    /** Where notifications go; undefined turns them off. */
    setNotificationTarget(target: { url: string; secret: string } | undefined) {
      world.notifier.configure(target);
      if (target && !ticker) {
        ticker = setInterval(() => {
          refreshChannels(world);
          refreshAll(world);
          refreshAgents(world);
          refreshConvoAgents(world);
        }, TICK_MS);
        ticker.unref();
      }
      if (!target && ticker) {
        clearInterval(ticker);
        ticker = undefined;
      }
    },
    notifications: world.notifier,
    ...inspection(world, requestLog),
    /** Resolves once every file write started so far has finished. */
    async flushStorage() {
      refreshChannels(world);
      refreshAll(world);
      refreshAgents(world);
      refreshConvoAgents(world);
      await Promise.all([...world.pendingWrites]);
    },
    close() {
      if (ticker) clearInterval(ticker);
      ticker = undefined;
      world.notifier.close();
    },
    timing,
    limits,
  };
}

/**
 * Who is in which channel (README, "Channels"): hosts and communication users publish, which is
 * what drives idle exit and individual mode's files; a join_channel ban refuses a join.
 */
function presence(world: World) {
  return {
    /** `uid` joins `cname` as a host (communication user in a communication channel) unless `role` says audience. */
    join: (cname: string, uid: string, request: JoinRequest = {}): JoinOutcome => joinChannel(world, cname, uid, request),
    /** `uid` leaves `cname`; false when it was not there. */
    leave: (cname: string, uid: string): boolean => leaveChannel(world, cname, uid),
    /** A host becomes audience or back (live broadcasting channels). */
    setRole: (cname: string, uid: string, role: 'host' | 'audience'): JoinOutcome => changeRole(world, cname, uid, role),
    /** The channel's profile; only while it is empty. */
    setProfile: (cname: string, profile: Profile): JoinOutcome => setProfile(world, cname, profile),
    publishersIn: (cname: string) => {
      refreshChannels(world);
      return [...(world.publishers.get(cname) ?? [])];
    },
    /** A channel's users, profile and publishers as they are now. */
    channel: (cname: string): ChannelView => channelView(world, cname),
    /** Every channel that has users now. */
    channels: (): ChannelView[] =>
      [...world.channel.channels.values()].filter((channel) => channel.users.size > 0).map((channel) => channelView(world, channel.name)),
    /** The ban rules in force. */
    banRules: (): BanRule[] => {
      refreshChannels(world);
      return [...world.channel.rules.values()].map((rule) => ({ ...rule, privileges: [...rule.privileges] }));
    },
    /** Whether channel event notices (productId 1) are sent; off unless switched on. */
    setChannelEvents(on: boolean) {
      world.channel.eventsOn = on;
    },
  };
}

/** What tests and the control API read: tasks as they are now, and the request log. */
function inspection(world: World, requestLog: RequestLogEntry[]) {
  const view = (task: Task): TaskView => {
    refresh(world, task);
    return viewOf(world, task, world.clock.now());
  };
  return {
    tasks: (): TaskView[] => [...world.tasks.values()].map(view),
    task(sid: string): TaskView | undefined {
      const task = world.tasks.get(sid);
      return task && view(task);
    },
    /** Speech-to-Text agents as they are now, ended ones included. */
    agents: (): AgentView[] => [...world.agents.values()].map((agent) => agentView(world, agent)),
    agent(agentId: string): AgentView | undefined {
      const agent = world.agents.get(agentId);
      return agent && agentView(world, agent);
    },
    /** Conversational AI agents as they are now, ended ones included. */
    convoAgents: (): ConvoAgentView[] => [...world.convoAgents.values()].map((agent) => convoAgentView(world, agent)),
    convoAgent(agentId: string): ConvoAgentView | undefined {
      const agent = world.convoAgents.get(agentId);
      return agent && convoAgentView(world, agent);
    },
    requests: (): RequestLogEntry[] => [...requestLog],
    /** Calls per endpoint, e.g. to check that watchers share one poller. */
    requestCounts(): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const entry of requestLog) counts[entry.endpoint] = (counts[entry.endpoint] ?? 0) + 1;
      return counts;
    },
    clearRequests() {
      requestLog.length = 0;
    },
  };
}

export type EmulatorCore = ReturnType<typeof createEmulatorCore>;
