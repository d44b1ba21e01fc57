import type { Notice } from '../recording/webhook-change.js';

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
