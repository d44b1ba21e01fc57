import { expect } from 'vitest';

export interface DeliveredNotice {
  msgName: string;
  /** The webhook's answer; absent while the delivery is in flight or after a network error. */
  status?: number;
}

/** The emulator's notification log: every notice it sent, with the server's answer. */
export async function noticeLog(emulatorUrl: string): Promise<{ url: string | null; log: DeliveredNotice[] }> {
  return (await (await fetch(`${emulatorUrl}/_emulator/notifications`)).json()) as { url: string | null; log: DeliveredNotice[] };
}

/**
 * Waits until the emulator has sent `last` and every notice it sent has an answer. The log lists
 * a notice the moment it is sent, so reading statuses before this races the deliveries.
 */
export async function waitForAnsweredNotices(emulatorUrl: string, last: string, timeoutMs = 10_000): Promise<DeliveredNotice[]> {
  await expect
    .poll(
      async () => {
        const { log } = await noticeLog(emulatorUrl);
        return log.some((notice) => notice.msgName === last) && log.every((notice) => notice.status !== undefined);
      },
      { timeout: timeoutMs },
    )
    .toBe(true);
  return (await noticeLog(emulatorUrl)).log;
}
