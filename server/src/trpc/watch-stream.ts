import { tracked, TRPCError } from '@trpc/server';
import type { Context } from './context.js';
import { toTRPCError } from './errors.js';

/**
 * The body of a watch subscription (recording.watch, transcription.watch): the per-connection
 * limit, metrics, each event tracked by its log id (so a reconnect with lastEventId resumes
 * exactly), and our errors mapped — errors thrown while streaming bypass the procedure middleware.
 */
export async function* streamWatch<E>(
  ctx: Pick<Context, 'connection' | 'limits' | 'transport' | 'services'>,
  open: () => Promise<AsyncIterable<{ eventId: number; event: E }>>,
) {
  const connection = ctx.connection;
  if (connection.subscriptions >= ctx.limits.subscriptionsPerConnection) {
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: `at most ${ctx.limits.subscriptionsPerConnection} subscriptions per connection`,
    });
  }
  connection.subscriptions++;
  const transport = ctx.transport === 'ws' ? 'ws' : 'sse';
  ctx.services.metrics.watcherOpened(transport);
  try {
    for await (const event of await open()) yield tracked(String(event.eventId), event.event);
  } catch (error) {
    throw toTRPCError(error) ?? error;
  } finally {
    connection.subscriptions--;
    ctx.services.metrics.watcherClosed(transport);
  }
}
