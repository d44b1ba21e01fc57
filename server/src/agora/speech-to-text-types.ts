import type { RequestOptions } from './transport.js';

/**
 * Request and result types of Agora's Real-Time Speech-to-Text 7.x REST API (docs/agora.md,
 * "Speech-to-Text"). Field names are Agora's, so the bodies go on the wire unchanged.
 */

/** Agora's agent states; `list` filters by their index (0–6). */
export const AGENT_STATUSES = ['IDLE', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'RECOVERING', 'FAILED'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export interface LanguagePair {
  source: string;
  target: string[];
}

/** Caption storage: Agora's storage block, keys spelled both ways (docs/agora.md, "Speech-to-Text"). */
export interface CaptionStorage {
  vendor: number;
  region: number;
  bucket: string;
  accessKey: string;
  secretKey: string;
  fileNamePrefix?: string[];
}

export interface JoinParams {
  /** Agora's task name: one task per channel per name (we use our transcription id). */
  name: string;
  languages: string[];
  maxIdleTime: number;
  rtcConfig: {
    channelName: string;
    pubBotUid: string;
    pubBotToken?: string;
    subscribeAudioUids?: string[];
    unSubscribeAudioUids?: string[];
  };
  translateConfig?: { languages: LanguagePair[] };
  captionConfig?: { sliceDuration: number; storage: CaptionStorage };
  /** S3-compatible storage (vendor 11): its endpoint. */
  extensionParams?: { endpoint: string };
}

export interface AgentResult {
  agentId: string;
  /** Unix ms, when Agora says. */
  createdAt: number | undefined;
  status: AgentStatus;
  raw: unknown;
}

export interface AgentUpdateParams {
  agentId: string;
  /** Must exceed the previous update's. */
  sequenceId: number;
  languages?: string[];
  subscribeAudioUids?: string[];
  /** `null` turns translation off. */
  translate?: LanguagePair[] | null;
}

export interface AgentListParams {
  channel?: string;
  state?: AgentStatus;
  /** Unix seconds. */
  fromTime?: number;
  toTime?: number;
  limit?: number;
  cursor?: string;
}

export interface AgentListResult {
  agents: { agentId: string; status: AgentStatus; startedAt: number }[];
  /** The next page's cursor; undefined on the last page. */
  cursor: string | undefined;
  total: number;
}

/** A call's abort signal and its priority in the rate budget (background: a poller's query). */
export type SttCallOptions = RequestOptions;

export interface SpeechToTextClient {
  /** Starts an agent in the channel. */
  join(params: JoinParams, options?: SttCallOptions): Promise<AgentResult>;
  /** The agent's state; throws AgoraApiError 404 once it is gone. */
  query(agentId: string, options?: SttCallOptions): Promise<AgentResult>;
  /** Changes languages, translation or subscriptions; the timers keep running from the start. */
  update(params: AgentUpdateParams, options?: SttCallOptions): Promise<AgentResult>;
  /** Stops the agent. Resolves when Agora accepted; AgoraApiError 404 when it is unknown. */
  leave(agentId: string, options?: SttCallOptions): Promise<void>;
  list(params: AgentListParams, options?: SttCallOptions): Promise<AgentListResult>;
}
