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

export const PUNCTUAL: DeliveryBehaviour = { duplicateShare: 0, dropShare: 0, lateShare: 0, lateMs: 2_000, reorderShare: 0, seed: undefined };

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
}

/** The two signature headers: lowercase hex HMAC-SHA1 and HMAC-SHA256 of the raw body. */
export function signNotice(rawBody: string, secret: string): Record<string, string> {
  return {
    'Agora-Signature': createHmac('sha1', secret).update(rawBody).digest('hex'),
    'Agora-Signature-V2': createHmac('sha256', secret).update(rawBody).digest('hex'),
  };
}

export function createNotifier(options: NotifierOptions) {
  const retryBaseMs = options.retryBaseMs ?? 1_000;
  const answerTimeoutMs = options.answerTimeoutMs ?? 10_000;
  let target: NotificationTarget | undefined;
  let behaviour: DeliveryBehaviour = PUNCTUAL;
  let random = Math.random;
  let heldForReorder: (() => void) | undefined;
  const log: NoticeLogEntry[] = [];
  const inFlight = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  async function post(rawBody: string, to: NotificationTarget): Promise<number | undefined> {
    try {
      const response = await fetch(to.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...signNotice(rawBody, to.secret) },
        body: rawBody,
        signal: AbortSignal.timeout(answerTimeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.status;
    } catch {
      return undefined;
    }
  }

  /** Sends one copy, resending on failure; each attempt carries a fresh notifyMs. */
  function deliver(event: NoticeEvent, noticeId: string, entry: NoticeLogEntry) {
    const to = target;
    if (!to) return;
    const attempt = async (retry: number): Promise<void> => {
      const body = JSON.stringify({ noticeId, productId: CLOUD_RECORDING_PRODUCT_ID, eventType: event.eventType, notifyMs: options.clock.now(), payload: payloadOf(event) });
      entry.attempts++;
      entry.status = await post(body, to);
      if (entry.status !== undefined && entry.status >= 200 && entry.status < 300) {
        entry.delivered = true;
        return;
      }
      if (retry >= 3) {
        options.logger.warn({ noticeId, eventType: event.eventType, status: entry.status }, 'notification not accepted after 3 resends');
        return;
      }
      await new Promise<void>((resolve) => later(retryBaseMs * 2 ** retry, resolve));
      return attempt(retry + 1);
    };
    const sending = attempt(0);
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  }

  function fateOf(): NoticeLogEntry['fate'] {
    const roll = () => random();
    if (roll() < behaviour.dropShare) return 'dropped';
    if (roll() < behaviour.duplicateShare) return 'duplicated';
    if (roll() < behaviour.lateShare) return 'late';
    if (roll() < behaviour.reorderShare) return 'reordered';
    return 'sent';
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
      if (!target) return;
      const noticeId = randomUUID();
      const fate = fateOf();
      const entry: NoticeLogEntry = { noticeId, eventType: event.eventType, msgName: event.details.msgName, sid: event.sid, sequence: event.sequence, fate, attempts: 0, status: undefined, delivered: false };
      log.push(entry);
      const send = () => deliver(event, noticeId, entry);
      const releaseHeld = () => {
        const held = heldForReorder;
        heldForReorder = undefined;
        held?.();
      };
      if (fate === 'dropped') return;
      if (fate === 'late') {
        later(behaviour.lateMs, send);
        return;
      }
      if (fate === 'reordered') {
        releaseHeld();
        heldForReorder = send;
        // Nothing followed within a second: send it anyway.
        later(1_000, () => heldForReorder === send && releaseHeld());
        return;
      }
      send();
      if (fate === 'duplicated') later(Math.min(behaviour.lateMs, 500), send);
      releaseHeld();
    },
    log: (): NoticeLogEntry[] => log.map((entry) => ({ ...entry })),
    clearLog() {
      log.length = 0;
    },
    /** Resolves once nothing is held back or in flight (late and resent notices included). */
    async settle(maxMs = 30_000) {
      const until = Date.now() + maxMs;
      while ((inFlight.size > 0 || timers.size > 0) && Date.now() < until) {
        // A real wait each turn: an empty Promise.all resolves at once and would starve the timers.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      target = undefined;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;

function payloadOf(event: NoticeEvent) {
  return { cname: event.cname, uid: event.uid, sid: event.sid, sequence: event.sequence, sendts: event.at, serviceType: event.serviceType, details: event.details };
}
