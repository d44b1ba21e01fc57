import type { Notice } from '../tasks/notice.js';
import type { StoredError } from '../store/index.js';
import { failure } from '../tasks/failure.js';

/**
 * What Agora's Notification Center says about a Conversational AI agent (docs/agora.md,
 * "Conversational AI"): productId 17, the agent id in the payload's `agent_id`.
 */

export const CONVERSATIONAL_AI_PRODUCT = 17;

/** 101 joined, 102 left, 110 error: the agent is queried now. */
export const AGENT_STATE_EVENTS = new Set([101, 102, 110]);
/** 104: the agent's token runs out soon (Agora's "agent expire"). */
export const AGENT_EXPIRE_EVENT = 104;
/** 103: the conversation's history, sent right after the end. */
export const AGENT_HISTORY_EVENT = 103;

/** The agent a notice is about: the payload's agent_id (else the envelope's sid). */
export function agentOfConvoNotice(notice: Notice): string | undefined {
  const agentId = (notice.payload as Record<string, unknown>).agent_id;
  if (typeof agentId === 'string' && agentId !== '') return agentId;
  return notice.sid;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** Why the agent failed, from a 110 notice (its module) or a 102 whose status is FAILED; undefined otherwise. */
export function failureOfConvoNotice(notice: Notice): StoredError | undefined {
  const payload = notice.payload as Record<string, unknown>;
  if (notice.eventType === 110) {
    const code = text(payload.code);
    const module = text(payload.module);
    const reason = code === 'TOKEN_EXPIRED' ? 'token_expired' : module && /^[a-z]{2,10}$/.test(module) ? module : 'agent_failed';
    return failure(`Agora: ${text(payload.message) ?? 'the agent failed'}`, reason, 'notice');
  }
  if (notice.eventType === 102 && payload.status === 'FAILED')
    return failure(`Agora: ${text(payload.message) ?? 'the agent failed'}`, 'agent_failed', 'notice');
  return undefined;
}

/** The messages a 103 notice carries (role and content of each), or undefined. */
export function historyOfNotice(notice: Notice): { role: string; content: string }[] | undefined {
  if (notice.eventType !== AGENT_HISTORY_EVENT) return undefined;
  const contents = (notice.payload as Record<string, unknown>).contents;
  if (!Array.isArray(contents)) return undefined;
  return contents.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { role, content } = entry as Record<string, unknown>;
    return typeof role === 'string' && typeof content === 'string' ? [{ role, content }] : [];
  });
}
