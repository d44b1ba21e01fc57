import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { RecordingState } from '@agora-backend/shared';
import { readFileList } from '../agora/index.js';
import { BodyTooLargeError, readRawBody } from '../http/body.js';
import type { Logger } from '../logger.js';
import { stateFromAgoraStatus } from '../recording/state.js';
import type { StoredFile } from '../store/index.js';

/**
 * Agora's Notification Center webhooks for Cloud Recording (reference §9): signature check,
 * de-duplication, and the events that move a recording's state. Polling stays the source of truth.
 * @see https://docs.agora.io/en/cloud-recording/develop/receive-notifications
 */

export const WEBHOOK_PATH = '/webhooks/agora';
const MAX_BODY_BYTES = 256 * 1024;
const CLOUD_RECORDING_PRODUCT = 3;

/** `Agora-Signature-V2`: lowercase hex HMAC-SHA256 of the raw body, compared in constant time. */
export function verifyAgoraSignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !/^[0-9a-f]{64}$/i.test(header)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(header, 'hex'));
}

const Notice = z.object({
  noticeId: z.string().min(1),
  productId: z.number(),
  eventType: z.number(),
  notifyMs: z.number().optional(),
  payload: z
    .object({
      sid: z.string().optional(),
      details: z.record(z.string(), z.unknown()).optional(),
    })
    .loose(),
});
type Notice = z.infer<typeof Notice>;

export interface WebhookChange {
  state?: RecordingState;
  agoraStatus?: number;
  files?: StoredFile[];
  /** Ask the poller to query now rather than trust the event alone. */
  pollNow?: boolean;
}

/** What a Cloud Recording event says about the recording (reference §9's table). */
export function changeFromNotice(notice: Notice): WebhookChange | undefined {
  const details = notice.payload.details ?? {};
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  switch (notice.eventType) {
    case 1: // cloud_recording_error: level 5 is fatal, ask Agora where things stand
      return number(details.errorLevel) === 5 ? { pollNow: true } : undefined;
    case 3: {
      // cloud_recording_status_update
      const status = number(details.status);
      return status === undefined ? undefined : { agoraStatus: status, state: stateFromAgoraStatus(status), files: readFileList(details.fileList) };
    }
    case 4: // cloud_recording_file_infos
    case 31: // uploaded
    case 32: // backuped
      return { files: readFileList(details.fileList) };
    case 11: // session_exit
      return { state: number(details.exitStatus) === 1 ? 'failed' : 'stopped' };
    case 40: // recorder_started
      return { state: 'recording' };
    case 41: // recorder_leave
      return { pollNow: true };
    case 71: // web_recorder_stopped
      return { state: 'stopped', files: readFileList(details.fileList) };
    default:
      return undefined;
  }
}

export interface WebhookHandlerOptions {
  secret: string;
  logger: Logger;
  /** Applies a change to the recording with this sid. */
  apply(sid: string, change: WebhookChange): Promise<void>;
  /** How many noticeIds to remember for de-duplication. */
  dedupeCapacity?: number;
}

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

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
    if (req.method !== 'POST') {
      reply(res, 405, { error: 'POST only' });
      return;
    }
    let raw: Buffer;
    try {
      raw = await readRawBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      reply(res, 413, { error: 'body too large' });
      return;
    }
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
