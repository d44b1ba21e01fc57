/**
 * React hooks over the client's watches: `@agora-backend/client/react`. React is a peer
 * dependency (18 or later), never bundled; only React's own primitives are used. For queries and
 * mutations with TanStack Query, see the README ("React"). Create the client once, outside the
 * component (or memoised): the watch is reopened whenever the client or the id changes.
 */
import { useEffect, useMemo, useState } from 'react';
import type { TRPCClient } from '@trpc/client';
import type { AppRouter } from '@agora-backend/server';
import type {
  AgentMessage,
  AgentStatusEvent,
  ChannelMember,
  ChannelPresenceEvent,
  RecordingStatusEvent,
  TranscriptionStatusEvent,
} from '@agora-backend/shared';
import { watchAgent, watchChannel, watchRecording, watchTranscription, type WatchHandle, type WatchHandlers } from './watch.js';

/** A recording, transcription or agent as a component sees it, live. */
export interface LiveTask<E> {
  /** The latest event (its state, files…); undefined until the first arrives. */
  latest: E | undefined;
  /** Every event received, oldest first (a resumed watch repeats none). */
  events: readonly E[];
  /** It reached `stopped` or `failed`: nothing more will come. */
  ended: boolean;
  /** Why the watch gave up (an unknown id, no access), if it did; dropped streams are retried instead. */
  error: unknown;
}

type Watch<E> = (client: TRPCClient<AppRouter>, id: string, handlers: WatchHandlers<E>) => WatchHandle;

const NOTHING: LiveTask<never> = { latest: undefined, events: [], ended: false, error: undefined };

/** The state of one watch, kept for the id it belongs to, so a new id never shows the last one's events. */
function useWatch<E>(watch: Watch<E>, client: TRPCClient<AppRouter>, id: string | undefined): LiveTask<E> {
  const [live, setLive] = useState<{ id: string; task: LiveTask<E> } | undefined>(undefined);
  useEffect(() => {
    if (id === undefined) return undefined;
    const update = (change: (task: LiveTask<E>) => LiveTask<E>) =>
      setLive((current) => ({ id, task: change(current?.id === id ? current.task : NOTHING) }));
    const handle = watch(client, id, {
      onEvent: (event) => update((task) => ({ ...task, latest: event, events: [...task.events, event] })),
      onEnd: () => update((task) => ({ ...task, ended: true })),
      onError: (error) => update((task) => ({ ...task, error })),
    });
    return () => handle.stop();
  }, [watch, client, id]);
  return live !== undefined && live.id === id ? live.task : NOTHING;
}

/** A recording, live from `recording.watch` (resumed after a dropped stream, closed at its end or on unmount). No id, no watch. */
export function useRecording(client: TRPCClient<AppRouter>, id: string | undefined): LiveTask<RecordingStatusEvent> {
  return useWatch(watchRecording, client, id);
}

/** A transcription, live from `transcription.watch`, the same way. */
export function useTranscription(client: TRPCClient<AppRouter>, id: string | undefined): LiveTask<TranscriptionStatusEvent> {
  return useWatch(watchTranscription, client, id);
}

/** An agent as a component sees it: its live state, and its conversation so far (from the watch's messages). */
export interface LiveAgent extends LiveTask<AgentStatusEvent> {
  /** The messages seen on this watch, in conversation order (each once). */
  messages: readonly AgentMessage[];
}

/**
 * A Conversational AI agent, live from `agent.watch`, the same way; `messages` is its conversation
 * as it grows. For messages from before the watch opened, read `agent.history` once.
 */
export function useAgent(client: TRPCClient<AppRouter>, id: string | undefined): LiveAgent {
  const live = useWatch(watchAgent, client, id);
  const messages = useMemo(() => {
    const seen = new Map<number, AgentMessage>();
    for (const event of live.events) if (event.message) seen.set(event.message.seq, event.message);
    return [...seen.values()].sort((a, b) => a.seq - b.seq);
  }, [live.events]);
  return { ...live, messages };
}

/** A channel's presence as a component sees it: who is in it now, folded from the watch's events. */
export interface LiveChannel extends LiveTask<ChannelPresenceEvent> {
  /** The members now, in join order. */
  members: readonly ChannelMember[];
}

/** Who is in a channel, live from `channel.watch` (resumed after a dropped stream, closed on unmount). No channel, no watch. */
export function useChannel(client: TRPCClient<AppRouter>, channel: string | undefined): LiveChannel {
  const live = useWatch(watchChannel, client, channel);
  const members = useMemo(() => {
    const now = new Map<number, ChannelMember>();
    for (const event of live.events) {
      if (event.type === 'snapshot') {
        now.clear();
        for (const member of event.members) now.set(member.uid, member);
      } else if (event.type === 'join') {
        now.set(event.uid, { uid: event.uid, role: event.role, platform: event.platform, joinedAt: event.at, source: event.source });
      } else if (event.type === 'leave') {
        now.delete(event.uid);
      } else {
        const member = now.get(event.uid);
        if (member) now.set(event.uid, { ...member, role: event.role });
      }
    }
    return [...now.values()];
  }, [live.events]);
  return { ...live, members };
}
