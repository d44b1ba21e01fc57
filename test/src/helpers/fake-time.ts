import { unlimitedBudget } from '@agora-backend/server';
import { createFakeClock, type FakeClock } from '@agora-backend/server/testing';
import { startRecordingStack, type RecordingStack, type StackOptions } from './recording-stack.js';

/** Moves the clock in steps until `done` or `limitMs` passes; yields to I/O between steps. */
export async function advanceUntil(clock: FakeClock, done: () => Promise<boolean>, stepMs = 5_000, limitMs = 300_000): Promise<void> {
  for (let waited = 0; waited <= limitMs && !(await done()); waited += stepMs) {
    await clock.advance(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Server and Agora on one fake clock, with no rate budget (the clock does not move by itself). */
export function oneFakeClock(options: StackOptions = {}): { clock: FakeClock; options: StackOptions } {
  const clock = createFakeClock(Date.now());
  return { clock, options: { clock, agoraClock: clock, agora: { rateBudget: unlimitedBudget }, ...options } };
}

/** A stack with server and Agora on one fake clock. */
export async function startOnOneClock(options: StackOptions = {}): Promise<{ s: RecordingStack; clock: FakeClock }> {
  const { clock, options: stackOptions } = oneFakeClock(options);
  return { s: await startRecordingStack(stackOptions), clock };
}
