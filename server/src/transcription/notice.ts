import type { Notice } from '../tasks/notice.js';
import type { StoredError } from '../store/index.js';
import { failure } from '../tasks/failure.js';

/**
 * What Agora's Notification Center says about a transcription (docs/agora.md, "Webhooks"): the
 * same signed envelope as Cloud Recording's, with productId 20 and the agent id as its `sid`.
 */

export const SPEECH_TO_TEXT_PRODUCT = 20;

/** Events that may change a transcription's state: 101 joined, 102 left. Uploads (200–202) and the token notice (104) do not. */
export const STT_STATE_EVENTS = new Set([101, 102]);

/** The agent a Speech-to-Text notice is about: the envelope's sid, else the payload's agent_id. */
export function agentOfNotice(notice: Notice): string | undefined {
  if (notice.sid) return notice.sid;
  const agentId = (notice.payload as Record<string, unknown>).agent_id;
  return typeof agentId === 'string' && agentId !== '' ? agentId : undefined;
}

/** Agora's 102 messages for an agent that failed, and the reason each is reported as. */
const FAILURE_REASONS: Record<string, string> = {
  'RTC connection error': 'rtc',
  'Fatal ASR error': 'asr',
  'Fatal Translation error': 'translation',
};

/** Why the agent failed, from a 102 notice whose status is FAILED (its `message`); undefined otherwise. */
export function failureOfNotice(notice: Notice): StoredError | undefined {
  const payload = notice.payload as Record<string, unknown>;
  if (notice.eventType !== 102 || payload.status !== 'FAILED') return undefined;
  const said = typeof payload.message === 'string' && payload.message !== '' ? payload.message : undefined;
  return failure(`Agora: ${said ?? 'the agent failed'}`, (said && FAILURE_REASONS[said]) ?? 'agent_failed', 'notice');
}
