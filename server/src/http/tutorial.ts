import type { IncomingMessage, ServerResponse } from 'node:http';
import { appRouter } from '../routers/_app.js';
import type { Context } from '../trpc/context.js';
import { readJsonBody } from './body.js';
import { sendJson, sendText } from './respond.js';

/**
 * The Astro tutorial backend's endpoints, as a drop-in: the same paths, bodies, checks (in the
 * same order, with the same texts) and response shapes, so its frontends and its own tests work
 * by changing only the base URL. Underneath, the same procedures as everything else, with their
 * validation, authorization and bounds: what passes the tutorial's checks but breaks ours (an
 * expireTime over 86400) is refused naming the field. Errors are thrown to the edge, which writes
 * them as plain text like the tutorial did.
 */
export const TUTORIAL_PATHS = ['/api/token.json', '/api/recording/start.json', '/api/recording/query.json', '/api/recording/stop.json'];

type Body = Record<string, unknown>;
type Caller = ReturnType<typeof appRouter.createCaller>;

/** The tutorial's test for a missing field was JavaScript's falsiness: absent, null, '', 0, false. */
function firstMissing(body: Body, fields: string[]): string | undefined {
  return fields.find((field) => !body[field]);
}

/** The tutorial passed `"3600"` to the token builder as it came; we take digit strings as numbers. */
const digitsAsNumber = (value: unknown) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value);

interface Endpoint {
  required: string[];
  /** A refusal of the tutorial's own, checked after the required fields. */
  check?(body: Body): string | undefined;
  run(caller: Caller, body: Body, res: ServerResponse): Promise<void>;
}

const ENDPOINTS: Record<string, Endpoint> = {
  '/api/token.json': {
    required: ['channel', 'uid', 'expireTime'],
    check: (body) => (body.role === 'publisher' || body.role === 'subscriber' ? undefined : 'role is incorrect'),
    async run(caller, body, res) {
      const input = { channel: body.channel, uid: body.uid, role: body.role, expireTime: digitsAsNumber(body.expireTime) };
      const { token } = await caller.token.generate(input as never);
      sendJson(res, 200, { token });
    },
  },
  '/api/recording/start.json': {
    required: ['channel'],
    async run(caller, body, res) {
      const started = await caller.recording.start({ channel: body.channel, ...(body.uid ? { uid: body.uid } : {}) } as never);
      sendJson(res, 200, { resourceId: started.resourceId, sid: started.sid });
    },
  },
  '/api/recording/query.json': {
    required: ['sid', 'resourceId'],
    async run(caller, body, res) {
      const queried = await caller.recording.query({ resourceId: body.resourceId, sid: body.sid } as never);
      // Agora's query answer, passed through as the tutorial did. With none (the recording has
      // ended, or Agora no longer finds it) Agora's own 404: the tutorial's page polls until a non-2xx.
      if (queried.raw === null) sendJson(res, 404, { code: 404, reason: 'failed to find worker' });
      else sendJson(res, 200, queried.raw);
    },
  },
  '/api/recording/stop.json': {
    required: ['channel', 'sid', 'resourceId'],
    async run(caller, body, res) {
      const stopped = await caller.recording.stop({ channel: body.channel, resourceId: body.resourceId, sid: body.sid, ...(body.uid ? { uid: body.uid } : {}) } as never);
      // Agora's stop answer, as the tutorial relayed it.
      sendJson(res, 200, {
        resourceId: body.resourceId,
        sid: body.sid,
        serverResponse: {
          fileListMode: 'json',
          fileList: stopped.files.map((file) => ({ ...file, sliceStartTime: file.sliceStartTime?.getTime() })),
          uploadingStatus: stopped.uploadingStatus ?? 'unknown',
        },
      });
    },
  },
};

export function createTutorialHandler(options: { createContext(options: { req: IncomingMessage }): Promise<Context>; maxBodyBytes: number }) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const endpoint = ENDPOINTS[path]!;
    const { value } = await readJsonBody(req, options.maxBodyBytes);
    const body: Body = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
    const missing = firstMissing(body, endpoint.required);
    const problem = missing !== undefined ? `${missing} is required` : endpoint.check?.(body);
    if (problem !== undefined) {
      sendText(res, 400, problem);
      return;
    }
    await endpoint.run(appRouter.createCaller(await options.createContext({ req })), body, res);
  };
}
