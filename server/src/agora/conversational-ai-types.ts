import { z } from 'zod';
import type { RequestOptions } from './transport.js';

/**
 * Request schemas, request and result types of Agora's Conversational AI v2 REST API (docs/agents.md,
 * "Agora's Conversational AI API"). Field names are Agora's, so a parsed body goes on the wire unchanged.
 *
 * The schemas check the envelope (which vendor, which mode, ranges and required fields) and keep
 * every key they do not know, as Agora does (its objects allow additional properties). A vendor's
 * `params` are that vendor's business: they pass through untouched, whatever they hold.
 */

/** Agora's agent states. Answers carry the names; the list filter takes the numbers (5 is unused). */
export const CONVERSATIONAL_AGENT_STATES = ['IDLE', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'FAILED'] as const;
export type ConversationalAgentState = (typeof CONVERSATIONAL_AGENT_STATES)[number];
export const AGENT_STATE_NUMBERS: Record<ConversationalAgentState, number> = {
  IDLE: 0,
  STARTING: 1,
  RUNNING: 2,
  STOPPING: 3,
  STOPPED: 4,
  FAILED: 6,
};

export const ASR_VENDORS = [
  'ares',
  'microsoft',
  'deepgram',
  'openai',
  'google',
  'gemini',
  'amazon',
  'assemblyai',
  'sarvam',
  'xai',
] as const;
export const TTS_VENDORS = [
  'amazon',
  'cartesia',
  'deepgram',
  'elevenlabs',
  'fishaudio',
  'generic_http',
  'google',
  'gradium',
  'humeai',
  'microsoft',
  'minimax',
  'mistral',
  'openai',
  'rime',
  'sarvam',
  'xai',
] as const;
export const LLM_VENDORS = ['openai', 'azure', 'xai', 'custom'] as const;
export const LLM_STYLES = ['openai', 'gemini', 'anthropic', 'dify'] as const;
export const MLLM_VENDORS = ['openai', 'gemini', 'vertexai', 'xai'] as const;
export const AVATAR_VENDORS = ['akool', 'liveavatar', 'anam', 'generic'] as const;

/** The most Agora keeps an agent up for, whatever its idle timeout: 72 hours. */
export const AGENT_MAX_SECONDS = 72 * 3600;
/** `speak` texts are at most this many bytes of UTF-8. */
export const SPEAK_TEXT_MAX_BYTES = 512;

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });
const int = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });
const nonEmpty = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** A vendor's own settings: any JSON object, sent as it is. */
export const VendorParams = z.record(z.string(), z.unknown(), { error: 'must be an object' });
const StringMap = z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of strings' });
const CredentialMode = oneOf(['managed', 'byok']);

export const AsrSettings = z.looseObject({
  credential_mode: CredentialMode.optional(),
  /** BCP-47; a language inside `params` wins over it. */
  language: nonEmpty.optional(),
  vendor: oneOf(ASR_VENDORS).optional(),
  // Agora's schema requires params, its own samples send none (docs/agents.md): optional here.
  params: VendorParams.optional(),
});

export const TtsSettings = z
  .looseObject({
    credential_mode: CredentialMode.optional(),
    vendor: oneOf(TTS_VENDORS),
    /** generic_http only: an OpenAI-compatible speech endpoint and its headers. */
    url: nonEmpty.optional(),
    headers: StringMap.optional(),
    params: VendorParams.optional(),
    skip_patterns: z.array(int(1, 5)).optional(),
  })
  .superRefine((tts, context) => {
    if (tts.params === undefined && tts.credential_mode !== 'managed') {
      context.addIssue({ code: 'custom', path: ['params'], message: "is required unless credential_mode is 'managed'" });
    }
    if (tts.vendor === 'generic_http' && tts.url === undefined) {
      context.addIssue({ code: 'custom', path: ['url'], message: "is required with vendor 'generic_http'" });
    }
  });

const McpServer = z.looseObject({
  name: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9]{1,48}$/, { error: 'must be 1 to 48 letters and digits' }),
  endpoint: nonEmpty,
  transport: oneOf(['streamable_http']).optional(),
  headers: StringMap.optional(),
  timeout_ms: int(1, 3_600_000).optional(),
  allowed_tools: z.array(z.string()).optional(),
});

const GreetingConfigs = z.looseObject({
  mode: oneOf(['single_every', 'single_first']).optional(),
  delay_ms: int(0, 3_600_000).optional(),
  interruptable: z.boolean().optional(),
  audio_download_timeout_ms: int(200, 10_000).optional(),
  audio_pcm_sample_rate: int(1, 192_000).optional(),
});

const Message = z.looseObject({ role: nonEmpty, content: z.unknown() });

export const LlmSettings = z
  .looseObject({
    credential_mode: CredentialMode.optional(),
    /** The chat-completions endpoint; left out with a pipeline, a preset or managed credentials. */
    url: nonEmpty.optional(),
    api_key: z.string().optional(),
    system_messages: z.array(Message).optional(),
    params: VendorParams.optional(),
    max_history: int(1, 10_000).optional(),
    input_modalities: z.array(nonEmpty).optional(),
    output_modalities: z.array(nonEmpty).optional(),
    greeting_message: z.string().optional(),
    greeting_audio_url: z
      .string()
      .refine((url) => /^https?:\/\/\S+$/.test(url) && bytes(url) <= 2048, { error: 'must be an http(s) URL of at most 2048 bytes' })
      .optional(),
    greeting_configs: GreetingConfigs.optional(),
    failure_message: z.string().optional(),
    vendor: oneOf(LLM_VENDORS).optional(),
    style: oneOf(LLM_STYLES).optional(),
    template_variables: StringMap.optional(),
    mcp_servers: z.array(McpServer).optional(),
    headers: StringMap.optional(),
  })
  .superRefine((llm, context) => {
    if (llm.greeting_audio_url !== undefined && llm.greeting_message === undefined) {
      context.addIssue({ code: 'custom', path: ['greeting_message'], message: 'is required with greeting_audio_url (it is the fallback)' });
    }
  });

export const MllmSettings = z.looseObject({
  enable: z.boolean().optional(),
  vendor: oneOf(MLLM_VENDORS).optional(),
  url: nonEmpty.optional(),
  api_key: nonEmpty,
  messages: z.array(z.record(z.string(), z.unknown())).optional(),
  params: VendorParams.optional(),
  input_modalities: z.array(nonEmpty).optional(),
  output_modalities: z.array(nonEmpty).optional(),
  greeting_message: z.string().optional(),
  turn_detection: z.looseObject({ mode: oneOf(['agora_vad', 'server_vad', 'semantic_vad']).optional() }).optional(),
});

export const AvatarSettings = z.looseObject({
  enable: z.boolean().optional(),
  vendor: oneOf(AVATAR_VENDORS),
  params: VendorParams.optional(),
});

const Geofence = z
  .looseObject({
    area: oneOf(['GLOBAL', 'NORTH_AMERICA', 'EUROPE', 'ASIA', 'INDIA', 'JAPAN']),
    exclude_area: oneOf(['NORTH_AMERICA', 'EUROPE', 'ASIA', 'INDIA', 'JAPAN']).optional(),
  })
  .refine((geofence) => geofence.exclude_area === undefined || geofence.area === 'GLOBAL', {
    error: "exclude_area is allowed only with area 'GLOBAL'",
    path: ['exclude_area'],
  });

const AdvancedFeatures = z.looseObject({
  enable_mllm: z.boolean().optional(),
  enable_rtm: z.boolean().optional(),
  enable_sal: z.boolean().optional(),
  enable_tools: z.boolean().optional(),
});

const Interruption = z.looseObject({
  enable: z.boolean().optional(),
  mode: oneOf(['start_of_speech', 'keywords']).optional(),
  keywords_config: z
    .looseObject({ trigger_keywords: z.array(z.string()).max(128, { error: 'must hold at most 128 keywords' }).optional() })
    .optional(),
  disabled_config: z.looseObject({ strategy: oneOf(['append', 'ignore']).optional() }).optional(),
});

const Sal = z.looseObject({
  sal_mode: oneOf(['locking', 'recognition']).optional(),
  sample_urls: StringMap.refine((urls) => Object.keys(urls).length <= 1 && !('unknown' in urls), {
    error: "must hold one entry, not named 'unknown'",
  }).optional(),
});

const Rtc = z
  .looseObject({
    encryption_key: z.string().optional(),
    encryption_salt: z.string().optional(),
    encryption_mode: int(1, 8).optional(),
  })
  .refine((rtc) => !(rtc.encryption_mode === 7 || rtc.encryption_mode === 8) || rtc.encryption_salt !== undefined, {
    error: 'encryption_salt is required with encryption_mode 7 or 8',
    path: ['encryption_salt'],
  });

const FillerWords = z.looseObject({
  enable: z.boolean().optional(),
  content: z
    .looseObject({
      static_config: z.looseObject({ phrases: z.array(z.string()).min(1).max(100, { error: 'must hold at most 100 phrases' }) }).optional(),
    })
    .optional(),
});

const Parameters = z.looseObject({
  silence_config: z
    .looseObject({ timeout_ms: int(0, 60_000).optional(), action: oneOf(['speak', 'think']).optional(), content: z.string().optional() })
    .refine((silence) => (silence.timeout_ms ?? 0) === 0 || silence.content !== undefined, {
      error: 'content is required when timeout_ms is set',
      path: ['content'],
    })
    .optional(),
  farewell_config: z
    .looseObject({ graceful_enabled: z.boolean().optional(), graceful_timeout_seconds: int(0, 3600).optional() })
    .optional(),
  data_channel: oneOf(['rtm', 'datastream']).optional(),
  enable_metrics: z.boolean().optional(),
  enable_error_message: z.boolean().optional(),
  audio_scenario: oneOf(['default', 'chorus', 'aiserver']).optional(),
  opt_out: z.boolean().optional(),
});

/** What every agent's `properties` may hold besides the channel, token and uids: a profile's settings. */
export const AgentSettings = z.looseObject({
  enable_string_uid: z.boolean().optional(),
  idle_timeout: int(0, 259_200).optional(),
  geofence: Geofence.optional(),
  advanced_features: AdvancedFeatures.optional(),
  asr: AsrSettings.optional(),
  tts: TtsSettings.optional(),
  llm: LlmSettings.optional(),
  mllm: MllmSettings.optional(),
  avatar: AvatarSettings.optional(),
  turn_detection: z.looseObject({ mode: z.string().optional(), config: z.record(z.string(), z.unknown()).optional() }).optional(),
  interruption: Interruption.optional(),
  sal: Sal.optional(),
  labels: StringMap.optional(),
  rtc: Rtc.optional(),
  filler_words: FillerWords.optional(),
  parameters: Parameters.optional(),
});
export type AgentSettings = z.input<typeof AgentSettings>;

export const AgentProperties = AgentSettings.extend({
  channel: nonEmpty,
  /** Needs RTC and RTM privileges: the agent uses it for both. */
  token: nonEmpty,
  /** "0" lets Agora pick. */
  agent_rtc_uid: nonEmpty,
  remote_rtc_uids: z.array(nonEmpty),
});

/**
 * What is missing for the agent to have models: its own llm and tts, unless a Studio pipeline, a
 * preset or an enabled multimodal model stands in for them (Agora's schema requires llm and tts
 * regardless; docs/agents.md). Paths are relative to `properties`.
 */
export function missingModels(
  base: { pipelineId?: string | undefined; preset?: string | undefined },
  properties: z.infer<typeof AgentSettings>,
): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  const multimodal = properties.mllm?.enable === true || properties.advanced_features?.enable_mllm === true;
  if (multimodal && properties.mllm === undefined) problems.push({ path: ['mllm'], message: 'is required when multimodal is enabled' });
  if (base.pipelineId !== undefined || base.preset !== undefined || multimodal) return problems;
  if (properties.llm === undefined)
    problems.push({ path: ['llm'], message: 'is required without a pipeline, a preset or an enabled mllm' });
  else if (properties.llm.url === undefined && properties.llm.credential_mode !== 'managed') {
    problems.push({ path: ['llm', 'url'], message: "is required unless credential_mode is 'managed'" });
  }
  if (properties.tts === undefined)
    problems.push({ path: ['tts'], message: 'is required without a pipeline, a preset or an enabled mllm' });
  return problems;
}

function checkModels(
  body: { pipeline_id?: string | undefined; preset?: string | undefined; properties: z.infer<typeof AgentSettings> },
  context: z.RefinementCtx,
) {
  for (const problem of missingModels({ pipelineId: body.pipeline_id, preset: body.preset }, body.properties)) {
    context.addIssue({ code: 'custom', path: ['properties', ...problem.path], message: problem.message });
  }
}

/** POST …/join: start an agent. */
export const AgentJoinBody = z
  .looseObject({
    /** Unique and never reused: we send our own id, so a repeated join cannot start a second agent. */
    name: nonEmpty,
    /** An agent published in Agora's Studio: its saved settings are the base, `properties` override them. */
    pipeline_id: nonEmpty.optional(),
    /** Deprecated by Agora in favour of `credential_mode: "managed"`; still accepted. */
    preset: nonEmpty.optional(),
    properties: AgentProperties,
  })
  .superRefine(checkModels);
export type AgentJoinRequest = z.input<typeof AgentJoinBody>;

/** POST …/update: only what Agora lets change on a running agent. `llm.params` replaces the stored params whole. */
export const AgentUpdateBody = z.looseObject({
  properties: z.looseObject({
    token: nonEmpty.optional(),
    llm: z.looseObject({ system_messages: z.array(Message).optional(), params: VendorParams.optional() }).optional(),
    mllm: z.looseObject({ params: VendorParams.optional() }).optional(),
  }),
});
export type AgentUpdateRequest = z.input<typeof AgentUpdateBody>;

/** POST …/speak. Not available to multimodal agents. */
export const AgentSpeakBody = z.looseObject({
  text: nonEmpty.refine((text) => bytes(text) <= SPEAK_TEXT_MAX_BYTES, { error: `must be at most ${SPEAK_TEXT_MAX_BYTES} bytes of UTF-8` }),
  priority: oneOf(['INTERRUPT', 'APPEND', 'IGNORE']).optional(),
  interruptable: z.boolean().optional(),
});
export type AgentSpeakRequest = z.input<typeof AgentSpeakBody>;

/** POST …/think: a text handed to the agent as if the user had said it. */
export const AgentThinkBody = z.looseObject({
  text: nonEmpty,
  on_listening_action: oneOf(['inject', 'interrupt', 'ignore']).optional(),
  on_thinking_action: oneOf(['interrupt', 'ignore']).optional(),
  on_speaking_action: oneOf(['interrupt', 'ignore']).optional(),
  interruptable: z.boolean().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type AgentThinkRequest = z.input<typeof AgentThinkBody>;

/** Join's and update's answer. */
export interface AgentStartResult {
  agentId: string;
  /** Unix ms, when Agora says. */
  createdAt: number | undefined;
  status: ConversationalAgentState;
  raw: unknown;
}

/** Query's answer. */
export interface AgentInfo {
  agentId: string;
  name: string | undefined;
  status: ConversationalAgentState;
  /** Unix ms. */
  startedAt: number | undefined;
  stoppedAt: number | undefined;
  /** Why a FAILED agent exited, as Agora puts it. */
  message: string | undefined;
  raw: unknown;
}

export interface AgentListFilter {
  channel?: string;
  /** Sent as Agora's state numbers, comma-separated; Agora's default is RUNNING only. */
  states?: readonly ConversationalAgentState[];
  /** Unix seconds; Agora's defaults are two hours ago and now. */
  fromTime?: number;
  toTime?: number;
  limit?: number;
  cursor?: string;
}

export interface AgentPage {
  agents: { agentId: string; status: ConversationalAgentState; startedAt: number }[];
  count: number;
  total: number;
  /** The next page's cursor; undefined on the last page. */
  cursor: string | undefined;
}

/** Speak's and think's answer. */
export interface AgentUtteranceResult {
  agentId: string;
  channel: string | undefined;
  /** Unix ms. */
  startedAt: number | undefined;
  raw: unknown;
}

export interface AgentHistoryEntry {
  role: string;
  content: string;
  /** Unix ms; only with `llm.vendor: "custom"`. */
  speechStartMs?: number;
  speechEndMs?: number;
  speechAlgorithmicDelayMs?: number;
}

export interface AgentHistory {
  agentId: string;
  status: string | undefined;
  startedAt: number | undefined;
  contents: AgentHistoryEntry[];
  raw: unknown;
}

export interface AgentTurn {
  turnId: number;
  start: { at: number; type: string; metadata: Record<string, unknown> };
  end: { at: number | undefined; type: string | undefined; metadata: Record<string, unknown> };
  e2eLatencyMs: number | undefined;
  segmentedLatencyMs: { name: string; latency: number }[];
}

export interface AgentTurnsPage {
  agentId: string;
  name: string | undefined;
  channel: string | undefined;
  totalTurns: number;
  pageIndex: number;
  totalPages: number;
  isLastPage: boolean;
  turns: AgentTurn[];
  raw: unknown;
}

/** A call's abort signal and its priority in the rate budget (background: a poller's query or history read). */
export type AgentCallOptions = RequestOptions;

export interface ConversationalAiClient {
  /** Starts an agent in a channel; repeated with the same `name`, Agora refuses a second agent. */
  join(body: AgentJoinRequest, options?: AgentCallOptions): Promise<AgentStartResult>;
  /** Stops the agent. Resolves once Agora accepted; AgoraApiError 404 when it does not know the agent. */
  leave(agentId: string, options?: AgentCallOptions): Promise<void>;
  /** Changes a running agent: a new token, system messages, LLM or MLLM params (which replace, not merge). */
  update(agentId: string, body: AgentUpdateRequest, options?: AgentCallOptions): Promise<AgentStartResult>;
  /** The agent's state; throws AgoraApiError 404 once Agora forgot it. */
  query(agentId: string, options?: AgentCallOptions): Promise<AgentInfo>;
  /** One page of the project's agents; follow `cursor` for the next. */
  list(filter?: AgentListFilter, options?: AgentCallOptions): Promise<AgentPage>;
  /** Makes the agent say a text (≤ 512 bytes). Sent once: never repeated after an answer may have been lost. */
  speak(agentId: string, body: AgentSpeakRequest, options?: AgentCallOptions): Promise<AgentUtteranceResult>;
  /** Stops what the agent is saying or thinking. */
  interrupt(agentId: string, options?: AgentCallOptions): Promise<void>;
  /** Hands the agent a text as user input. Sent once, like speak. */
  think(agentId: string, body: AgentThinkRequest, options?: AgentCallOptions): Promise<AgentUtteranceResult>;
  /** The conversation so far; Agora answers it only while the agent runs. */
  history(agentId: string, options?: AgentCallOptions): Promise<AgentHistory>;
  /** One page of the session's turns with their latencies; Agora keeps them 7 days. Pages start at 1. */
  turns(agentId: string, page?: { pageIndex?: number; pageSize?: number }, options?: AgentCallOptions): Promise<AgentTurnsPage>;
}
