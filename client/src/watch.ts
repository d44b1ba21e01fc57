import type { TRPCClient } from '@trpc/client';
import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '@agora-backend/server';
import type { AgentStatusEvent, ChannelPresenceEvent, RecordingStatusEvent, TranscriptionStatusEvent } from '@agora-backend/shared';

export interface WatchHandlers<E = RecordingStatusEvent> {
  onEvent(event: E, eventId: string): void;
  /** It reached stopped or failed; the watch is over. */
  onEnd?(last: E | undefined): void;
  /** An error the watch cannot recover from (unknown recording, no access). */
  onError?(error: unknown): void;
  /** Delay before re-subscribing after a dropped stream; default 1 s, doubling to 30 s. */
  retryDelayMs?: (attempt: number) => number;
}

export interface WatchHandle {
  stop(): void;
}

const FINAL_CODES = new Set(['NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN', 'BAD_REQUEST', 'TOO_MANY_REQUESTS']);

/** A watch subscription: recording.watch's, transcription.watch's or agent.watch's `subscribe`. */
type Subscribe<E> = (
  input: { id: string; lastEventId?: string },
  callbacks: { onData: (value: { id: string; data: E }) => void; onComplete: () => void; onError: (error: unknown) => void },
) => { unsubscribe(): void };

/**
 * Follows a recording until it ends: resubscribes after a dropped stream with the last event id,
 * so nothing is missed or repeated, and stops by itself at a terminal state.
 */
export function watchRecording(client: TRPCClient<AppRouter>, id: string, handlers: WatchHandlers): WatchHandle {
  return follow<RecordingStatusEvent>((input, callbacks) => client.recording.watch.subscribe(input, callbacks), id, handlers);
}

/** Follows a transcription until it ends, the same way. */
export function watchTranscription(
  client: TRPCClient<AppRouter>,
  id: string,
  handlers: WatchHandlers<TranscriptionStatusEvent>,
): WatchHandle {
  return follow<TranscriptionStatusEvent>((input, callbacks) => client.transcription.watch.subscribe(input, callbacks), id, handlers);
}

/**
 * Follows a Conversational AI agent until it ends, the same way: each state change, and each new
 * message of its conversation as the server sees it (`event.message`, null on the others).
 */
export function watchAgent(client: TRPCClient<AppRouter>, id: string, handlers: WatchHandlers<AgentStatusEvent>): WatchHandle {
  return follow<AgentStatusEvent>((input, callbacks) => client.agent.watch.subscribe(input, callbacks), id, handlers);
}

/** What watchChannel calls back: no end (a channel's presence goes on), only errors it cannot recover from. */
export type ChannelWatchHandlers = Omit<WatchHandlers<ChannelPresenceEvent>, 'onEnd'>;

/**
 * Follows a channel's presence: first its membership (`snapshot`), then each join, leave and role
 * change. A dropped stream is resumed with the last event id (only later events come, no second
 * snapshot). Runs until `stop()` or an error it cannot recover from (no access, bad input).
 */
export function watchChannel(client: TRPCClient<AppRouter>, channel: string, handlers: ChannelWatchHandlers): WatchHandle {
  const open: Subscribe<ChannelPresenceEvent> = (input, callbacks) =>
    client.channel.watch.subscribe({ channel: input.id, ...(input.lastEventId ? { lastEventId: input.lastEventId } : {}) }, callbacks);
  return follow<ChannelPresenceEvent>(open, channel, handlers, () => false);
}

const taskEnded = (event: { state?: string } | undefined) => event?.state === 'stopped' || event?.state === 'failed';

function follow<E>(
  open: Subscribe<E>,
  id: string,
  handlers: WatchHandlers<E>,
  ended: (last: E | undefined) => boolean = taskEnded as (last: E | undefined) => boolean,
): WatchHandle {
  let lastEventId: string | undefined;
  let last: E | undefined;
  let stopped = false;
  let attempt = 0;
  let current: { unsubscribe(): void } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const delay = handlers.retryDelayMs ?? ((n: number) => Math.min(30_000, 1_000 * 2 ** n));

  const subscribe = () => {
    if (stopped) return;
    current = open(
      { id, ...(lastEventId ? { lastEventId } : {}) },
      {
        onData: ({ id: eventId, data }) => {
          attempt = 0;
          lastEventId = eventId;
          last = data;
          handlers.onEvent(data, eventId);
        },
        onComplete: () => {
          if (stopped) return;
          if (ended(last)) {
            stopped = true;
            handlers.onEnd?.(last);
          } else {
            timer = setTimeout(subscribe, delay(attempt++));
          }
        },
        onError: (error) => {
          if (stopped) return;
          const code = error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : undefined;
          if (code && FINAL_CODES.has(code)) {
            stopped = true;
            handlers.onError?.(error);
            return;
          }
          timer = setTimeout(subscribe, delay(attempt++));
        },
      },
    );
  };
  subscribe();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      current?.unsubscribe();
    },
  };
}
