import type { Reply } from './types.js';

/** Answers in Agora's two error shapes: the gateway's `{message}` and the service's `{code, reason}`. */
export const gateway = (status: number, message: string): Reply => ({ status, body: { message } });
export const service = (status: number, code: number, reason: string): Reply => ({ status, body: { code, reason } });
/** Code 2: a parameter breaks a rule; the reason names it. */
export const invalid = (reason: string): Reply => service(400, 2, reason);
export const notFound = (): Reply => service(404, 404, 'failed to find worker');

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A request body as a JSON object (empty: `{}`); undefined when it is not one. */
export function parseBody(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The agent listing Speech-to-Text and Conversational AI answer alike: a page, the next cursor, the total. */
export function agentListReply(page: { start_ts: number; status: string; agent_id: string }[], cursor: string, total: number): Reply {
  return { status: 200, body: { data: { count: page.length, list: page }, meta: { cursor, total }, status: 'ok' } };
}
