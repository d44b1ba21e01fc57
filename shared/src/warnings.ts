import { z } from 'zod';

/**
 * What a start answers besides the task: things the caller should know that did not stop it.
 * `CHANNEL_EMPTY`: nobody (but the task's own bot) publishes in the channel yet, so there is
 * nothing to record or transcribe until someone does (a recording stopped before then ends with
 * Agora's 435, "no recorded data").
 */
export const StartWarningCode = z.enum(['CHANNEL_EMPTY']);
export type StartWarningCode = z.infer<typeof StartWarningCode>;

export const StartWarning = z.object({ code: StartWarningCode, message: z.string() });
export type StartWarning = z.infer<typeof StartWarning>;

/** A start's warnings: empty when there is nothing to say (or when the server could not tell). */
export const StartWarnings = z.array(StartWarning);
