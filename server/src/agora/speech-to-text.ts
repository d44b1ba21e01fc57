import { z } from 'zod';
import { AgoraApiError } from './errors.js';
import type { ApiAnswer, ApiTransport } from './transport.js';
import { AGENT_STATUSES, type AgentResult, type JoinParams, type SpeechToTextClient } from './speech-to-text-types.js';

/**
 * The Speech-to-Text 7.x calls (docs/agora.md, "Speech-to-Text"), on the transport the Cloud
 * Recording client uses: the same hosts, authentication, rate budget, retries and error classes.
 */

export type SttAnswer = ApiAnswer;
export type SttTransport<A extends SttAnswer> = ApiTransport<A>;

const Status = z.enum(AGENT_STATUSES);
const AgentBody = z.object({ agent_id: z.string().min(1), create_ts: z.number().nullable().optional(), status: Status });
const ListBody = z.object({
  data: z.object({ count: z.number(), list: z.array(z.object({ agent_id: z.string(), status: Status, start_ts: z.number() })) }),
  meta: z.object({ cursor: z.string().optional(), total: z.number() }),
});

/** Storage keys in the schema's lowercase and in the camelCase of Agora's examples: Agora's own pages disagree. */
function captionConfig(config: NonNullable<JoinParams['captionConfig']>) {
  const { accessKey, secretKey, ...rest } = config.storage;
  return { sliceDuration: config.sliceDuration, storage: { ...rest, accesskey: accessKey, secretkey: secretKey, accessKey, secretKey } };
}

function toResult(body: z.infer<typeof AgentBody>, raw: unknown): AgentResult {
  return {
    agentId: body.agent_id,
    createdAt: typeof body.create_ts === 'number' ? body.create_ts * 1000 : undefined,
    status: body.status,
    raw,
  };
}

export function createSpeechToTextCalls<A extends SttAnswer>(transport: SttTransport<A>): SpeechToTextClient {
  const { send, read, fail } = transport;
  const agentPath = (agentId: string) => `/agents/${encodeURIComponent(agentId)}`;
  return {
    async join(params, options = {}) {
      const body = { ...params, ...(params.captionConfig ? { captionConfig: captionConfig(params.captionConfig) } : {}) };
      const answer = await send({ endpoint: 'sttJoin', method: 'POST', path: '/join', body, signal: options.signal });
      if (answer.httpStatus !== 200) throw fail('sttJoin', answer);
      return toResult(read('sttJoin', answer, AgentBody), answer.json);
    },
    async query(agentId, options = {}) {
      const answer = await send({
        endpoint: 'sttQuery',
        method: 'GET',
        path: agentPath(agentId),
        signal: options.signal,
        priority: options.priority,
      });
      if (answer.httpStatus !== 200) throw fail('sttQuery', answer);
      return toResult(read('sttQuery', answer, AgentBody), answer.json);
    },
    async update(params, options = {}) {
      const mask: string[] = [];
      const body: Record<string, unknown> = {};
      if (params.languages) {
        mask.push('languages');
        body.languages = params.languages;
      }
      if (params.subscribeAudioUids) {
        mask.push('rtcConfig.subscribeAudioUids');
        body.rtcConfig = { subscribeAudioUids: params.subscribeAudioUids };
      }
      if (params.translate !== undefined) {
        mask.push('translateConfig.enable');
        if (params.translate) mask.push('translateConfig.languages');
        body.translateConfig = params.translate ? { enable: true, languages: params.translate } : { enable: false };
      }
      const query = new URLSearchParams({ sequenceId: String(params.sequenceId), updateMask: mask.join(',') });
      const answer = await send({
        endpoint: 'sttUpdate',
        method: 'POST',
        path: `${agentPath(params.agentId)}/update?${query}`,
        body,
        signal: options.signal,
      });
      if (answer.httpStatus !== 200) throw fail('sttUpdate', answer);
      return toResult(read('sttUpdate', answer, AgentBody), answer.json);
    },
    async leave(agentId, options = {}) {
      const answer = await send({ endpoint: 'sttLeave', method: 'POST', path: `${agentPath(agentId)}/leave`, signal: options.signal });
      if (answer.httpStatus !== 200) throw fail('sttLeave', answer);
    },
    async list(params, options = {}) {
      const query = new URLSearchParams();
      if (params.channel !== undefined) query.set('channel', params.channel);
      if (params.state !== undefined) query.set('state', String(AGENT_STATUSES.indexOf(params.state)));
      if (params.fromTime !== undefined) query.set('from_time', String(params.fromTime));
      if (params.toTime !== undefined) query.set('to_time', String(params.toTime));
      if (params.limit !== undefined) query.set('limit', String(params.limit));
      if (params.cursor !== undefined) query.set('cursor', params.cursor);
      const answer = await send({ endpoint: 'sttList', method: 'GET', path: `/agents?${query}`, signal: options.signal });
      if (answer.httpStatus !== 200) throw fail('sttList', answer);
      const body = read('sttList', answer, ListBody);
      return {
        agents: body.data.list.map((item) => ({ agentId: item.agent_id, status: item.status, startedAt: item.start_ts * 1000 })),
        cursor: body.meta.cursor ? body.meta.cursor : undefined,
        total: body.meta.total,
      };
    },
  };
}

/** Agora answered that it does not know the agent (query's `{message, agent_id}`, or a `{reason}` 404) — not the gateway's 404. */
export const isAgentNotFound = (error: unknown): error is AgoraApiError =>
  error instanceof AgoraApiError && error.httpStatus === 404 && error.reason !== undefined;
