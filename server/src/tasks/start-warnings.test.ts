import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../clock.js';
import { createSilentLogger, type Logger } from '../logger.js';
import { startWithWarnings, type PublisherLookup } from './start-warnings.js';

/** A logger that keeps each warn line's message. */
function keepingLogger(): { logger: Logger; warned: string[] } {
  const warned: string[] = [];
  const logger = createSilentLogger();
  logger.warn = ((_context: unknown, message: string) => void warned.push(message)) as Logger['warn'];
  return { logger, warned };
}

const started = { id: 'r1', channel: 'room', uid: '4000000001' };
const options = (lookup: PublisherLookup | undefined, logger: Logger, clock = createFakeClock()) => ({
  lookup,
  clock,
  logger,
  consequence: 'nothing happens',
});

describe('startWithWarnings', () => {
  it("warns when nobody but the task's own uid publishes, and not when someone else does", async () => {
    const { logger } = keepingLogger();
    const ownOnly = await startWithWarnings(
      options(() => Promise.resolve([4_000_000_001]), logger),
      'room',
      () => Promise.resolve(started),
    );
    expect(ownOnly.warnings).toEqual([{ code: 'CHANNEL_EMPTY', message: 'nobody is publishing in channel "room" yet: nothing happens' }]);
    const someone = await startWithWarnings(
      options(() => Promise.resolve([4_000_000_001, 7]), logger),
      'room',
      () => Promise.resolve(started),
    );
    expect(someone).toEqual({ ...started, warnings: [] });
    const noLookup = await startWithWarnings(options(undefined, logger), 'room', () => Promise.resolve(started));
    expect(noLookup.warnings).toEqual([]);
  });

  it('answers without a warning when the look fails, or has not answered 2 s after the start, and says so in the log', async () => {
    const failing = keepingLogger();
    const failed = await startWithWarnings(
      options(() => Promise.reject(new Error('504')), failing.logger),
      'room',
      () => Promise.resolve(started),
    );
    expect(failed.warnings).toEqual([]);
    expect(failing.warned).toEqual(['could not learn who publishes in the channel: the start answers without warnings']);

    const slow = keepingLogger();
    const clock = createFakeClock();
    const answering = startWithWarnings(
      options(() => new Promise<number[]>(() => undefined), slow.logger, clock),
      'room',
      () => Promise.resolve(started),
    );
    await clock.advance(2_000);
    expect((await answering).warnings).toEqual([]);
    expect(slow.warned).toEqual(['the channel took too long to say who publishes there: the start answers without warnings']);
  });

  it("never turns a start's own failure into something else", async () => {
    const { logger } = keepingLogger();
    await expect(
      startWithWarnings(
        options(() => Promise.resolve([]), logger),
        'room',
        () => Promise.reject(new Error('start failed')),
      ),
    ).rejects.toThrow('start failed');
  });
});
