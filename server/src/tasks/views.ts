import type { TaskLife } from '../store/index.js';

/** Who is asking: only a task's owner, or an admin, sees it. Others get the kind's NOT_FOUND. */
export interface Viewer {
  id: string;
  admin: boolean;
}

/** Whether `viewer` may see a task owned by `owner` (someone else's answers exactly as a missing one: ids reveal nothing). */
export const mayView = (viewer: Viewer, owner: string) => viewer.admin || owner === viewer.id;

/** A task's life as callers see it (the shared TaskLifeFields): Dates instead of Unix milliseconds. */
export function lifeView(life: TaskLife) {
  return {
    lastError: life.lastError,
    createdAt: new Date(life.createdAt),
    startedAt: life.startedAt === null ? null : new Date(life.startedAt),
    updatedAt: new Date(life.updatedAt),
    stoppedAt: life.stoppedAt === null ? null : new Date(life.stoppedAt),
  };
}

/**
 * What a stop answers for any kind that Agora runs as an agent (a transcription bot, a
 * Conversational AI agent): the row's state once Agora confirmed, else `stopping`, with why a
 * failed one failed.
 */
export function stopAnswer(
  id: string,
  outcome: { record: { state: string; lastError: TaskLife['lastError'] }; alreadyStopped: boolean },
): { id: string; state: 'stopped' | 'failed' | 'stopping'; alreadyStopped: boolean; lastError: TaskLife['lastError'] } {
  const { state, lastError } = outcome.record;
  return {
    id,
    state: state === 'stopped' || state === 'failed' ? state : 'stopping',
    alreadyStopped: outcome.alreadyStopped,
    lastError: state === 'failed' ? lastError : null,
  };
}

/**
 * What a query answers for any kind that Agora runs as an agent: asked of Agora while the task is
 * active (`observe`: a 404 keeps the stored state until it outlasts the failover window), else
 * as stored, with Agora's raw answer when there was one.
 */
export async function queryAnswer<
  S extends string,
  R extends { id: string; state: S; agoraStatus: string | null; updatedAt: number; lastError: TaskLife['lastError'] },
>(record: R, active: readonly S[], observe: (record: R) => Promise<{ record: R; raw: unknown }>) {
  const observed = active.includes(record.state) ? await observe(record) : { record, raw: null as unknown };
  const current = observed.record;
  return {
    id: current.id,
    state: current.state,
    agoraStatus: current.agoraStatus,
    updatedAt: new Date(current.updatedAt),
    lastError: current.lastError,
    raw: observed.raw,
  };
}
