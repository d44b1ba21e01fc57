import { AppErrorCode, type Agent } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import type { AgentRecord } from '../store/index.js';
import { lifeView } from '../tasks/views.js';

export const agentNotFound = () => new AppError(AppErrorCode.AGENT_NOT_FOUND, 'No such agent');

/** What the row keeps of the caller's choices (never a profile's settings). */
export interface AgentOptions {
  remoteUids: string[];
}

export function optionsOf(record: AgentRecord): AgentOptions {
  const options = record.options as Partial<AgentOptions> | null;
  return { remoteUids: Array.isArray(options?.remoteUids) ? options.remoteUids : [] };
}

export function toAgent(record: AgentRecord): Agent {
  return {
    id: record.id,
    channel: record.channel,
    uid: record.uid,
    owner: record.owner,
    profile: record.profile,
    state: record.state,
    agentId: record.agentId,
    agoraStatus: record.agoraStatus,
    remoteUids: optionsOf(record).remoteUids,
    tokenExpiresAt: record.tokenExpiresAt === null ? null : new Date(record.tokenExpiresAt),
    ...lifeView(record),
  };
}
