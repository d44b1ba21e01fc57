import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { CLOUD_RECORDING_PRODUCT, changeFromNotice, Notice, type WebhookChange } from '../recording/webhook-change.js';
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
  /** Applies a change to the recording with this sid. */
  apply(sid: string, change: WebhookChange): Promise<void>;
  /** How many noticeIds to remember for de-duplication. */
  dedupeCapacity?: number;
}

const reply = (res: ServerResponse, status: number, body: unknown) => sendJson(res, status, body);

/** The `POST /webhooks/agora` handler. Answers at once; the change is applied after the answer. */
export function createWebhookHandler(options: WebhookHandlerOptions) {
  const seen = new Set<string>();
  const capacity = options.dedupeCapacity ?? 10_000;
  const remember = (noticeId: string) => {
    seen.add(noticeId);
    // Sets iterate in insertion order: drop the oldest once full.
    if (seen.size > capacity) seen.delete(seen.values().next().value!);
  };

  return async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readRawBody(req, MAX_BODY_BYTES);
    const header = req.headers['agora-signature-v2'];
    // Verify before parsing anything: an unsigned body is never read.
    if (!verifyAgoraSignature(raw, typeof header === 'string' ? header : undefined, options.secret)) {
      reply(res, 401, { error: 'invalid or missing Agora-Signature-V2' });
      return;
    }
    let notice: Notice;
    try {
      notice = Notice.parse(JSON.parse(raw.toString('utf8')));
    } catch {
      reply(res, 400, { error: 'not an Agora notification' });
      return;
    }
    if (seen.has(notice.noticeId)) {
      reply(res, 200, { ok: true, duplicate: true });
      return;
    }
    remember(notice.noticeId);
    reply(res, 200, { ok: true });

    const change = notice.productId === CLOUD_RECORDING_PRODUCT ? changeFromNotice(notice) : undefined;
    const sid = notice.payload.sid;
    if (!change || !sid) return;
    options.apply(sid, change).catch((error: unknown) => {
      options.logger.warn({ noticeId: notice.noticeId, err: error instanceof Error ? error.message : String(error) }, 'webhook not applied');
    });
  };
}
