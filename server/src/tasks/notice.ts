import { z } from 'zod';

/**
 * The envelope of every notice Agora's Notification Center sends (docs/agora.md, "Webhooks"),
 * whatever the product: each kind of task reads its own productId and events out of it.
 */
export const Notice = z.object({
  noticeId: z.string().min(1),
  productId: z.number(),
  eventType: z.number(),
  notifyMs: z.number().optional(),
  /** Speech-to-Text: the agent id. */
  sid: z.string().optional(),
  payload: z
    .object({
      sid: z.string().optional(),
      details: z.record(z.string(), z.unknown()).optional(),
    })
    .loose(),
});
export type Notice = z.infer<typeof Notice>;
