import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { appRouter } from '../routers/_app.js';
import type { Context } from '../trpc/context.js';
import { BodyTooLargeError } from '../http/body.js';
import { BodyNotJsonError, errorResponse, readJsonBody, sendJson } from './http.js';

/**
 * The Astro tutorial backend's endpoints, as a drop-in: the same paths, bodies and response
 * shapes, so its frontends and curl scripts work by changing only the base URL. Underneath, the
 * same procedures as everything else, with their validation, authorization and safety.
 */
export const TUTORIAL_PATHS = ['/api/token.json', '/api/recording/start.json', '/api/recording/query.json', '/api/recording/stop.json'];

type Body = Record<string, unknown>;

/** The tutorial answered a missing field with 400 and a plain-text reason; so do we. */
function missing(body: Body, fields: string[]): string | undefined {
  for (const field of fields) {
    const value = body[field];
    if (value === undefined || value === null || value === '') return `${field} is required`;
  }
  return undefined;
}

function sendText(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

export function createTutorialHandler(options: { createContext(options: { req: IncomingMessage }): Promise<Context>; logger: Logger; maxBodyBytes: number }) {
  const endpoints: Record<string, { required: string[]; run(caller: ReturnType<typeof appRouter.createCaller>, body: Body): Promise<unknown> }> = {
    '/api/token.json': {
      required: ['channel', 'uid'],
      async run(caller, body) {
        const { token } = await caller.token.generate({ channel: body.channel, uid: body.uid, role: body.role ?? 'publisher', ...(body.expireTime !== undefined ? { expireTime: body.expireTime } : {}) } as never);
        return { token };
      },
    },
    '/api/recording/start.json': {
      required: ['channel'],
      async run(caller, body) {
        const started = await caller.recording.start({ channel: body.channel, ...(body.uid !== undefined && body.uid !== '' ? { uid: body.uid } : {}) } as never);
        return { resourceId: started.resourceId, sid: started.sid };
      },
    },
    '/api/recording/query.json': {
      required: ['sid', 'resourceId'],
      async run(caller, body) {
        // The tutorial passed Agora's query answer through unchanged.
        return (await caller.recording.query({ resourceId: body.resourceId, sid: body.sid } as never)).raw;
      },
    },
    '/api/recording/stop.json': {
      required: ['channel', 'sid', 'resourceId'],
      async run(caller, body) {
        const stopped = await caller.recording.stop({ channel: body.channel, resourceId: body.resourceId, sid: body.sid, ...(body.uid !== undefined ? { uid: body.uid } : {}) } as never);
        // Agora's stop answer, as the tutorial relayed it.
        return {
          resourceId: body.resourceId,
          sid: body.sid,
          serverResponse: {
            fileListMode: 'json',
            fileList: stopped.files.map((file) => ({ ...file, sliceStartTime: file.sliceStartTime?.getTime() })),
            uploadingStatus: stopped.uploadingStatus ?? 'unknown',
          },
        };
      },
    },
  };

  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const endpoint = endpoints[path];
    if (!endpoint) {
      sendText(res, 404, 'not found');
      return;
    }
    if (req.method !== 'POST') {
      sendText(res, 405, 'use POST');
      return;
    }
    try {
      const raw = await readJsonBody(req, options.maxBodyBytes);
      const body: Body = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? { ...raw } : {};
      const problem = missing(body, endpoint.required);
      if (problem) {
        sendText(res, 400, problem);
        return;
      }
      const ctx = await options.createContext({ req });
      sendJson(res, 200, await endpoint.run(appRouter.createCaller(ctx), body));
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendText(res, 413, error.message);
        return;
      }
      if (error instanceof BodyNotJsonError) {
        sendText(res, 400, error.message);
        return;
      }
      const { status, body } = errorResponse(error, options.logger);
      // Bad input keeps the tutorial's plain-text style; everything else is JSON with the details.
      if (status === 400) sendText(res, 400, String(body.message));
      else sendJson(res, status, body);
    }
  };
}
