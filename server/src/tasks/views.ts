import type { TaskLife } from '../store/index.js';

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
