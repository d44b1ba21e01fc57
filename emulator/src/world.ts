import type { Clock } from './clock.js';
import type { Notifier } from './notifications.js';
import type { ConvoAgent } from './convoai/types.js';
import type { Agent } from './stt/types.js';
import type { ChannelWorld } from './channels/types.js';
import type { EmulatorLimits, EmulatorTiming, Resource, Task } from './types.js';

/**
 * Everything the emulator holds, shared by the modules that act on it: Agora's resources and
 * tasks, who publishes where, and the notifier that tells the webhook.
 */
export interface World {
  appId: string;
  appCertificate: string;
  clock: Clock;
  timing: EmulatorTiming;
  limits: EmulatorLimits;
  storageDir: string;
  resources: Map<string, Resource>;
  tasks: Map<string, Task>;
  /** Speech-to-Text agents by agent id. */
  agents: Map<string, Agent>;
  /** Conversational AI agents by agent id. */
  convoAgents: Map<string, ConvoAgent>;
  /** Channel → uids publishing in it now: the channels' hosts and communication users not banned from publishing. */
  publishers: Map<string, Set<string>>;
  /** Channels, their users and profiles, and the ban rules (channel management API). */
  channel: ChannelWorld;
  notifier: Notifier;
  /** File writes started and not finished (stop waits for them, as Agora uploads before answering). */
  pendingWrites: Set<Promise<unknown>>;
}

export const isActive = (task: Task) => task.endedAt === undefined;

export function activeCount(world: World): number {
  let count = 0;
  for (const task of world.tasks.values()) if (isActive(task)) count++;
  return count;
}
