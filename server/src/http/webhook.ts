import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { CLOUD_RECORDING_PRODUCT, changeFromNotice, type WebhookChange } from '../recording/webhook-change.js';
import { Notice } from '../tasks/notice.js';
import type { StoredError } from '../store/index.js';
import { agentOfNotice, failureOfNotice, SPEECH_TO_TEXT_PRODUCT, STT_STATE_EVENTS } from '../transcription/notice.js';
import {
  AGENT_EXPIRE_EVENT,
  AGENT_STATE_EVENTS,
  agentOfConvoNotice,
  CONVERSATIONAL_AI_PRODUCT,
  failureOfConvoNotice,
  historyOfNotice,
} from '../agents/notice.js';
import { CHANNEL_EVENTS_PRODUCT } from '../channels/notice.js';
import { readRawBody } from './body.js';
import { sendJson } from './respond.js';

/**
 * `POST /webhooks/agora`: Agora's Notification Center (docs/agora.md, "Webhooks"). Checks the
 * signature before reading anything, drops duplicates, answers at once, then applies the change.
 */

export const WEBHOOK_PATH = '/webhooks/agora';
const MAX_BODY_BYTES = 256 * 1024;

/** `Agora-Signature-V2`: lowercase hex HMAC-SHA256 of the raw body, compared in constant time. */
export function verifyAgoraSignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !/^[0-9a-f]{64}$/i.test(header)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(header, 'hex'));
}

export interface WebhookHandlerOptions {
  secret: string;
  logger: Logger;
  /** Applies a change to the recording with this sid (absent: Cloud Recording is not configured, its notices are ignored). */
  apply?(sid: string, change: WebhookChange): Promise<void>;
  /** A Speech-to-Text notice about this agent: the transcription is queried now (and keeps why it failed, when the notice says). */
  applyTranscription?(agentId: string, failure: StoredError | undefined): Promise<void>;
  /**
   * A Conversational AI notice about this agent (productId 17): the agent is queried now, keeps why
   * it failed (110, 102 FAILED), gets a new token (104) and keeps the history a 103 carries.
   */
  applyAgent?(
    agentId: string,
    notice: { failure?: StoredError | undefined; expiring?: boolean; history?: { role: string; content: string }[] | undefined },
  ): Promise<void>;
  /** An RTC channel event notice (productId 1): presence applies it (joins, leaves, role changes). */
  applyPresence?(notice: Notice): Promise<void>;
  /** Remembers a notice id (in the registry); false when it was seen already. */
  remember(noticeId: string): Promise<boolean>;
  /** The current time (Unix ms), for the freshness window. */
  now(): number;
  /** Notices whose notifyMs is further than this from now are refused (default 15 minutes). */
  maxSkewMs?: number;
  /** Told each notice's outcome (metrics). */
  onNotice?: (outcome: 'accepted' | 'duplicate' | 'stale' | 'bad_signature' | 'malformed') => void;
}

/** What one product's notice does once verified: the work to wait for, or nothing when the notice means nothing here. */
type ProductHandler = (notice: Notice, options: WebhookHandlerOptions) => Promise<void> | undefined;

/** Speech-to-Text (20): a state event about an agent makes its transcription query now. */
const speechToText: ProductHandler = (notice, options) => {
  const agentId = agentOfNotice(notice);
  if (!agentId || !STT_STATE_EVENTS.has(notice.eventType)) return undefined;
  return options.applyTranscription?.(agentId, failureOfNotice(notice));
};

/** Conversational AI (17): a state event, a token about to expire, or history. */
const conversationalAi: ProductHandler = (notice, options) => {
  const agentId = agentOfConvoNotice(notice);
  const history = historyOfNotice(notice);
  const expiring = notice.eventType === AGENT_EXPIRE_EVENT;
  if (!agentId || !(AGENT_STATE_EVENTS.has(notice.eventType) || expiring || history)) return undefined;
  return options.applyAgent?.(agentId, { failure: failureOfConvoNotice(notice), expiring, history });
};

/** Cloud Recording (3): the change a notice means for the recording with its sid. */
const cloudRecording: ProductHandler = (notice, options) => {
  const change = changeFromNotice(notice);
  const sid = notice.payload.sid;
  if (!change || !sid) return undefined;
  return options.apply?.(sid, change);
};

/** RTC channel events (1): presence. */
const channelEvents: ProductHandler = (notice, options) => options.applyPresence?.(notice);

/** Each product's notices by productId; a product not listed is accepted and ignored. */
const PRODUCT_HANDLERS: ReadonlyMap<number, ProductHandler> = new Map([
  [CLOUD_RECORDING_PRODUCT, cloudRecording],
  [SPEECH_TO_TEXT_PRODUCT, speechToText],
  [CONVERSATIONAL_AI_PRODUCT, conversationalAi],
  [CHANNEL_EVENTS_PRODUCT, channelEvents],
]);

/** Agora resends for a few minutes at most, stamping each resend with a fresh notifyMs. */
export const DEFAULT_NOTICE_MAX_SKEW_MS = 15 * 60_000;

const reply = (res: ServerResponse, status: number, body: unknown) => sendJson(res, status, body);

/**
 * The `POST /webhooks/agora` handler: signature first, then freshness, then de-duplication by
 * noticeId in the registry (so a replay is refused after a restart too); answers at once and
 * applies the change after the answer.
 */
export function createWebhookHandler(options: WebhookHandlerOptions) {
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_NOTICE_MAX_SKEW_MS;
  return async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readRawBody(req, MAX_BODY_BYTES);
    const header = req.headers['agora-signature-v2'];
    // Verify before parsing anything: an unsigned body is never read.
    if (!verifyAgoraSignature(raw, typeof header === 'string' ? header : undefined, options.secret)) {
      options.onNotice?.('bad_signature');
      reply(res, 401, { error: 'invalid or missing Agora-Signature-V2' });
      return;
    }
    let notice: Notice;
    try {
      notice = Notice.parse(JSON.parse(raw.toString('utf8')));
    } catch {
      options.onNotice?.('malformed');
      reply(res, 400, { error: 'not an Agora notification' });
      return;
    }
    // A signed notice from long ago is a replay: Agora's own resends carry a fresh notifyMs.
    if (notice.notifyMs === undefined || Math.abs(options.now() - notice.notifyMs) > maxSkewMs) {
      options.logger.warn({ noticeId: notice.noticeId, notifyMs: notice.notifyMs }, 'webhook notice refused: outside the freshness window');
      options.onNotice?.('stale');
      reply(res, 400, { error: 'stale notice: notifyMs is outside the freshness window' });
      return;
    }
    if (!(await options.remember(notice.noticeId))) {
      options.onNotice?.('duplicate');
      reply(res, 200, { ok: true, duplicate: true });
      return;
    }
    options.onNotice?.('accepted');
    reply(res, 200, { ok: true });

    const handler = PRODUCT_HANDLERS.get(notice.productId);
    handler?.(notice, options)?.catch((error: unknown) => {
      options.logger.warn(
        { noticeId: notice.noticeId, err: error instanceof Error ? error.message : String(error) },
        'webhook not applied',
      );
    });
  };
}
