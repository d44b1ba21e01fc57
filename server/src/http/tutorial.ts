import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppErrorCode, type TranscriptionState } from '@agora-backend/shared';
import { AppError } from '../errors.js';
import { appRouter } from '../routers/_app.js';
import { generateTokenDirect } from '../routers/token.js';
import type { Context } from '../trpc/context.js';
import { readJsonBody } from './body.js';
import { sendJson, sendText } from './respond.js';
import { createPathCaller, type ProcedureOutput, type ProcedurePath } from './trpc-internals.js';
import type { ContextFactory } from './context.js';

/**
 * The Astro tutorial backend's endpoints, as a drop-in: the same paths, bodies, checks (in the
 * same order, with the same texts) and response shapes, so its frontends and its own tests work
 * by changing only the base URL. Underneath, the same procedures as everything else, with their
 * validation, authorization and bounds: what passes the tutorial's checks but breaks ours (an
 * expireTime over 86400) is refused naming the field. Errors are thrown to the edge, which writes
 * them as plain text like the tutorial did.
 */
export const TUTORIAL_PATHS = [
  '/api/token.json',
  '/api/recording/start.json',
  '/api/recording/query.json',
  '/api/recording/stop.json',
  '/api/transcription/start.json',
  '/api/transcription/query.json',
  '/api/transcription/stop.json',
];

/** The tutorial recognised English and Spanish; it sent no languages of its own. */
const TUTORIAL_LANGUAGES = ['en-US', 'es-ES'];

/**
 * The tutorial spoke Speech-to-Text 6.x, whose status words 7.x replaced (docs/agora.md,
 * "Speech-to-Text"); its pages read these. Agora gives no mapping: this one is ours.
 */
const V6_STATUS: Record<TranscriptionState, string> = {
  starting: 'STARTING',
  running: 'IN_PROGRESS',
  stopping: 'STOPPING',
  stopped: 'STOPPED',
  failed: 'FAILURE_STOP',
};

/**
 * The tutorial's `{ taskId, builderToken }`: Agora's 6.x task id and builder token. Here the task
 * id is the 7.x agent id and the builder token our transcription id; a pair that does not belong
 * together answers as a missing transcription.
 */
async function tutorialTranscription(call: Call, body: Body) {
  const transcription = await call('transcription.get', { id: body.builderToken });
  if (transcription.agentId !== body.taskId)
    throw new AppError(AppErrorCode.TRANSCRIPTION_NOT_FOUND, 'No such transcription: taskId and builderToken do not belong together');
  return transcription;
}

type Body = Record<string, unknown>;
/** A procedure by path, for this request's caller; the procedure validates the input. */
type Call = <P extends ProcedurePath>(path: P, input: unknown) => Promise<ProcedureOutput<P>>;

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
  /** Answers at once where it can (the token), without a promise. */
  run(ctx: Context, body: Body, res: ServerResponse, call: Call): Promise<void> | void;
}

const ENDPOINTS: Record<string, Endpoint> = {
  '/api/token.json': {
    required: ['channel', 'uid', 'expireTime'],
    check: (body) => (body.role === 'publisher' || body.role === 'subscriber' ? undefined : 'role is incorrect'),
    run(ctx, body, res) {
      const input = { channel: body.channel, uid: body.uid, role: body.role, expireTime: digitsAsNumber(body.expireTime) };
      const generated = generateTokenDirect(ctx, () => input);
      if (generated instanceof Promise) return generated.then(({ token }) => sendJson(res, 200, { token }));
      sendJson(res, 200, { token: generated.token });
      return undefined;
    },
  },
  '/api/recording/start.json': {
    required: ['channel'],
    async run(_ctx, body, res, call) {
      const started = await call('recording.start', { channel: body.channel, ...(body.uid ? { uid: body.uid } : {}) });
      sendJson(res, 200, { resourceId: started.resourceId, sid: started.sid });
    },
  },
  '/api/recording/query.json': {
    required: ['sid', 'resourceId'],
    async run(_ctx, body, res, call) {
      const queried = await call('recording.query', { resourceId: body.resourceId, sid: body.sid });
      // Agora's query answer, passed through as the tutorial did. With none (the recording has
      // ended, or Agora no longer finds it) Agora's own 404: the tutorial's page polls until a non-2xx.
      if (queried.raw === null) sendJson(res, 404, { code: 404, reason: 'failed to find worker' });
      else sendJson(res, 200, queried.raw);
    },
  },
  '/api/recording/stop.json': {
    required: ['channel', 'sid', 'resourceId'],
    async run(_ctx, body, res, call) {
      const stopped = await call('recording.stop', {
        channel: body.channel,
        resourceId: body.resourceId,
        sid: body.sid,
        ...(body.uid ? { uid: body.uid } : {}),
      });
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
  '/api/transcription/start.json': {
    required: ['channel'],
    async run(_ctx, body, res, call) {
      const started = await call('transcription.start', { channel: body.channel, languages: TUTORIAL_LANGUAGES });
      sendJson(res, 200, { taskId: started.agentId, builderToken: started.id });
    },
  },
  '/api/transcription/query.json': {
    required: ['taskId', 'builderToken'],
    async run(_ctx, body, res, call) {
      const transcription = await tutorialTranscription(call, body);
      const queried = await call('transcription.query', { id: transcription.id });
      // Agora 6.x's query answer: the task id, its creation time (Unix seconds) and its status.
      sendJson(res, 200, {
        taskId: transcription.agentId,
        createTs: Math.floor((transcription.startedAt ?? transcription.createdAt).getTime() / 1000),
        status: V6_STATUS[queried.state],
      });
    },
  },
  '/api/transcription/stop.json': {
    required: ['taskId', 'builderToken'],
    async run(_ctx, body, res, call) {
      const transcription = await tutorialTranscription(call, body);
      const stopped = await call('transcription.stop', { id: transcription.id });
      sendJson(res, 200, { taskId: transcription.agentId, status: V6_STATUS[stopped.state] });
    },
  },
};

export function createTutorialHandler(options: { createContext: ContextFactory; maxBodyBytes: number }) {
  const callProcedure = createPathCaller(appRouter);
  const answer = (req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, value: unknown) => {
    const body: Body = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value } : {};
    const missing = firstMissing(body, endpoint.required);
    const problem = missing !== undefined ? `${missing} is required` : endpoint.check?.(body);
    if (problem !== undefined) {
      sendText(res, 400, problem);
      return undefined;
    }
    const run = (ctx: Context) => endpoint.run(ctx, body, res, (path, input) => callProcedure(ctx, path, input));
    const made = options.createContext({ req });
    return made instanceof Promise ? made.then(run) : run(made);
  };
  // Not async: the body's promise is the only one a token request makes (Route.handle).
  return (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const endpoint = ENDPOINTS[path]!;
    return readJsonBody(req, options.maxBodyBytes).then(({ value }) => answer(req, res, endpoint, value));
  };
}
