import { createHmac, randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import type { EmulatorLogger } from './logger.js';
import { seededRandom } from './random.js';

/**
 * Agora's Notification Center (NCS) callbacks for Cloud Recording (README, "Notifications"): a
 * signed JSON POST per event, resent up to three times at growing intervals until answered 2xx,
 * and — switched on through the control API — delivered the ways real delivery misbehaves.
 */

export const CLOUD_RECORDING_PRODUCT_ID = 3;

/** payload.serviceType: which part of the recording service speaks. */
export const SERVICE_TYPE = { service: 0, recorder: 1, uploader: 2, webRecorder: 6 } as const;

export interface NotificationTarget {
  url: string;
  secret: string;
}

/** How delivery misbehaves; shares are 0–1 and picked per notice from `seed`. */
export interface DeliveryBehaviour {
  /** Sent twice: the same noticeId, the second with a fresh notifyMs. */
  duplicateShare: number;
  /** Never sent. */
  dropShare: number;
  /** Held back `lateMs` (real time), so later notices overtake it. */
  lateShare: number;
  lateMs: number;
  /** Held until the next notice has gone out, then sent: two notices swap places. */
  reorderShare: number;
  seed: number | undefined;
}

export const PUNCTUAL: DeliveryBehaviour = {
  duplicateShare: 0,
  dropShare: 0,
  lateShare: 0,
  lateMs: 2_000,
  reorderShare: 0,
  seed: undefined,
};

export interface NoticeEvent {
  eventType: number;
  serviceType: number;
  cname: string;
  uid: string;
  sid: string;
  sequence: number;
  /** When it happened (payload.sendts, Unix ms). */
  at: number;
  details: Record<string, unknown> & { msgName: string };
  /**
   * Another product's notice (Speech-to-Text: 20, Conversational AI: 17): its own productId and
   * payload, and the task's id as the envelope's `sid` unless `envelopeSid` is false. Without it,
   * a Cloud Recording notice built from the fields above.
   */
  product?: { productId: number; payload: Record<string, unknown>; envelopeSid?: boolean };
}

export interface NoticeLogEntry {
  noticeId: string;
  eventType: number;
  msgName: string;
  sid: string;
  sequence: number;
  /** What the delivery behaviour made of it. */
  fate: 'sent' | 'dropped' | 'duplicated' | 'late' | 'reordered';
  attempts: number;
  /** The last answer's HTTP status; undefined while in flight or after a network error. */
  status: number | undefined;
  delivered: boolean;
}

export interface NotifierOptions {
  clock: Clock;
  logger: EmulatorLogger;
  /** Resends wait retryBaseMs, then twice and four times that (real time). */
  retryBaseMs?: number;
  /** An answer later than this counts as none (Agora: 10 s). */
  answerTimeoutMs?: number;
  /** Work whose end sends notices (uploads announce their files): settle() waits for it first. */
  pendingWork?: () => Promise<unknown>;
}

/** The two signature headers: lowercase hex HMAC-SHA1 and HMAC-SHA256 of the raw body. */
export function signNotice(rawBody: string, secret: string): Record<string, string> {
  return {
    'Agora-Signature': createHmac('sha1', secret).update(rawBody).digest('hex'),
    'Agora-Signature-V2': createHmac('sha256', secret).update(rawBody).digest('hex'),
  };
}

/** Real-time timers the notifier can wait for (settle) and cancel (close). */
function createTimers() {
  const timers = new Set<NodeJS.Timeout>();
  return {
    later(ms: number, run: () => void) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        run();
      }, ms);
      timers.add(timer);
    },
    get pending() {
      return timers.size;
    },
    clear() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
type Timers = ReturnType<typeof createTimers>;

async function post(rawBody: string, to: NotificationTarget, timeoutMs: number): Promise<number | undefined> {
  try {
    const response = await fetch(to.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...signNotice(rawBody, to.secret) },
      body: rawBody,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  } catch {
    return undefined;
  }
}

/** Carries one copy of a notice to the target, resending until 2xx (three resends at most). */
function createCourier(options: NotifierOptions, timers: Timers) {
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const answerTimeoutMs = options.answerTimeoutMs ?? 10_000;
  const inFlight = new Set<Promise<void>>();
  const attempt = async (to: NotificationTarget, event: NoticeEvent, entry: NoticeLogEntry, retry: number): Promise<void> => {
    // Each attempt carries a fresh notifyMs, as Agora's resends do.
    const body = JSON.stringify(envelopeOf(event, entry.noticeId, options.clock.now()));
    entry.attempts++;
    entry.status = await post(body, to, answerTimeoutMs);
    if (entry.status !== undefined && entry.status >= 200 && entry.status < 300) {
      entry.delivered = true;
      return;
    }
    if (retry >= 3) {
      options.logger.warn(
        { noticeId: entry.noticeId, eventType: event.eventType, status: entry.status },
        'notification not accepted after 3 resends',
      );
      return;
    }
    await new Promise<void>((resolve) => timers.later(retryBaseMs * 2 ** retry, resolve));
    return attempt(to, event, entry, retry + 1);
  };
  return {
    send(to: NotificationTarget, event: NoticeEvent, entry: NoticeLogEntry) {
      const sending = attempt(to, event, entry, 0);
      inFlight.add(sending);
      void sending.finally(() => inFlight.delete(sending));
    },
    get busy() {
      return inFlight.size > 0;
    },
  };
}

export function createNotifier(options: NotifierOptions) {
  const timers = createTimers();
  const courier = createCourier(options, timers);
  let target: NotificationTarget | undefined;
  let behaviour: DeliveryBehaviour = PUNCTUAL;
  let random = Math.random;
  let heldForReorder: (() => void) | undefined;
  const log: NoticeLogEntry[] = [];

  function fateOf(): NoticeLogEntry['fate'] {
    if (random() < behaviour.dropShare) return 'dropped';
    if (random() < behaviour.duplicateShare) return 'duplicated';
    if (random() < behaviour.lateShare) return 'late';
    if (random() < behaviour.reorderShare) return 'reordered';
    return 'sent';
  }
  const releaseHeld = () => {
    const held = heldForReorder;
    heldForReorder = undefined;
    held?.();
  };
  /** Sends now, later, twice, or after the next one, as the notice's fate says. */
  function dispatch(fate: NoticeLogEntry['fate'], send: () => void) {
    if (fate === 'dropped') return;
    if (fate === 'late') {
      timers.later(behaviour.lateMs, send);
      return;
    }
    if (fate === 'reordered') {
      releaseHeld();
      heldForReorder = send;
      // Nothing followed within a second: send it anyway.
      timers.later(1_000, () => heldForReorder === send && releaseHeld());
      return;
    }
    send();
    if (fate === 'duplicated') timers.later(Math.min(behaviour.lateMs, 500), send);
    releaseHeld();
  }

  return {
    configure(next: NotificationTarget | undefined) {
      target = next;
    },
    get target() {
      return target;
    },
    setDelivery(next: Partial<DeliveryBehaviour>) {
      behaviour = { ...PUNCTUAL, ...next };
      random = behaviour.seed === undefined ? Math.random : seededRandom(behaviour.seed);
    },
    get delivery(): DeliveryBehaviour {
      return behaviour;
    },
    /** Queues a notice for delivery (nothing happens without a target). */
    emit(event: NoticeEvent) {
      const to = target;
      if (!to) return;
      const fate = fateOf();
      const entry: NoticeLogEntry = {
        noticeId: randomUUID(),
        eventType: event.eventType,
        msgName: event.details.msgName,
        sid: event.sid,
        sequence: event.sequence,
        fate,
        attempts: 0,
        status: undefined,
        delivered: false,
      };
      log.push(entry);
      dispatch(fate, () => courier.send(to, event, entry));
    },
    log: (): NoticeLogEntry[] => log.map((entry) => ({ ...entry })),
    clearLog() {
      log.length = 0;
    },
    /** Resolves once nothing is held back or in flight (late and resent notices included). */
    async settle(maxMs = 30_000) {
      const until = Date.now() + maxMs;
      await options.pendingWork?.();
      // A real wait each turn: an empty Promise.all resolves at once and would starve the timers.
      while ((courier.busy || timers.pending > 0) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    },
    close() {
      timers.clear();
      target = undefined;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;

function envelopeOf(event: NoticeEvent, noticeId: string, notifyMs: number) {
  if (event.product) {
    const sid = event.product.envelopeSid === false ? {} : { sid: event.sid };
    return { noticeId, productId: event.product.productId, eventType: event.eventType, notifyMs, ...sid, payload: event.product.payload };
  }
  return { noticeId, productId: CLOUD_RECORDING_PRODUCT_ID, eventType: event.eventType, notifyMs, payload: payloadOf(event) };
}

function payloadOf(event: NoticeEvent) {
  return {
    cname: event.cname,
    uid: event.uid,
    sid: event.sid,
    sequence: event.sequence,
    sendts: event.at,
    serviceType: event.serviceType,
    details: event.details,
  };
}
