import { z } from 'zod';
import { ChannelName } from './agora-names.js';
import { boundedInt, LastError, ListCursor, RecorderUid, TaskLifeFields } from './recording.js';

/**
 * Contracts of the `agent.*` procedures (Agora Conversational AI Engine v2; docs/agents.md). An
 * agent is started from a server-side profile: callers choose it by name and set only what the
 * profile allows. Agora's limits are checked here, before any upstream call.
 */

export const AgentState = z.enum(['starting', 'running', 'stopping', 'stopped', 'failed']);
export type AgentState = z.infer<typeof AgentState>;

/** The most a `speak` text may hold: 512 bytes of UTF-8 (Agora's limit). */
export const AGENT_SPEAK_MAX_BYTES = 512;
/** Agora ends every agent after 72 hours. */
export const AGENT_MAX_SECONDS = 72 * 3600;

export const AgentId = z
  .string({ error: 'must be an agent id' })
  .min(1, { error: 'must not be empty' })
  .max(64, { error: 'is not an agent id' });

const ProfileName = z
  .string({ error: 'must be a profile name' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { error: 'must be a profile name (letters, digits, _ or -)' });

const Labels = z
  .record(z.string().min(1).max(64), z.string().max(256), { error: 'must be an object of strings' })
  .refine((labels) => Object.keys(labels).length <= 20, { error: 'holds at most 20 labels' });

/**
 * `agent.profiles`: each server-side profile as anyone may see it — names, vendors and what callers
 * may set, never a key, URL, header or vendor param.
 */
export const AgentProfileView = z.object({
  name: z.string(),
  description: z.string().optional(),
  /** Where the agent's models come from. */
  kind: z.enum(['pipeline', 'preset', 'multimodal', 'cascade']),
  pipelineId: z.string().optional(),
  preset: z.string().optional(),
  vendors: z.object({
    asr: z.string().optional(),
    llm: z.string().optional(),
    tts: z.string().optional(),
    mllm: z.string().optional(),
    avatar: z.string().optional(),
  }),
  model: z.string().optional(),
  language: z.string().optional(),
  greeting: z.string().optional(),
  idleTimeoutSeconds: z.number().optional(),
  /** What a caller may set when starting an agent from it. */
  allow: z.object({
    greeting: z.boolean(),
    variables: z.union([z.boolean(), z.array(z.string())]),
    remoteUids: z.boolean(),
    idleTimeoutSeconds: z.union([z.boolean(), z.object({ min: z.number(), max: z.number() })]),
    labels: z.boolean(),
  }),
});
export type AgentProfileView = z.infer<typeof AgentProfileView>;

/** agent.profiles takes nothing. */
export const AgentProfilesInput = z.object({}).strict().optional();

export const AgentProfilesOutput = z.object({ profiles: z.array(AgentProfileView) });
export type AgentProfilesOutput = z.infer<typeof AgentProfilesOutput>;

/** Input of `agent.start`: every field but `channel` only where the profile allows it. */
export const AgentStartInput = z.object({
  channel: ChannelName,
  /** The server-side profile's name; the server's default profile when left out. */
  profile: ProfileName.optional(),
  /** The user the agent listens to (Agora subscribes an agent to one user at present). */
  remoteUids: z
    .array(RecorderUid, { error: 'must be a list of uids' })
    .min(1, { error: 'must name a uid' })
    .max(1, { error: 'holds one uid (Agora subscribes an agent to one user at present)' })
    .optional(),
  /** The agent's uid. Leave it out: the server picks one nobody in the channel uses. */
  uid: RecorderUid.optional(),
  /** What the agent says first. */
  greeting: z.string().min(1, { error: 'must not be empty' }).max(1024, { error: 'must be at most 1024 characters' }).optional(),
  /** Template variables of the profile's system messages. */
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string().max(1024)).optional(),
  /** Echoed in Agora's notices about the agent. */
  labels: Labels.optional(),
  /** Seconds with nobody to listen to before Agora ends the agent; 0 never (it still ends after 72 h). */
  idleTimeoutSeconds: boundedInt(0, 259_200, ' seconds').optional(),
});
export type AgentStartInput = z.input<typeof AgentStartInput>;
export type ParsedAgentStartInput = z.output<typeof AgentStartInput>;

export const AgentStartOutput = z.object({
  id: z.string(),
  channel: z.string(),
  /** The agent's uid in the channel. */
  uid: z.string(),
  profile: z.string(),
  /** Agora's agent_id. */
  agentId: z.string(),
  state: AgentState,
  startedAt: z.date(),
});
export type AgentStartOutput = z.infer<typeof AgentStartOutput>;

export const Agent = z.object({
  id: z.string(),
  channel: z.string(),
  uid: z.string(),
  owner: z.string(),
  profile: z.string(),
  state: AgentState,
  agentId: z.string().nullable(),
  /** Agora's state word (RUNNING, STOPPED…), when known. */
  agoraStatus: z.string().nullable(),
  remoteUids: z.array(z.string()),
  /** When the agent's current token runs out (the server renews it before). */
  tokenExpiresAt: z.date().nullable(),
  ...TaskLifeFields,
});
export type Agent = z.infer<typeof Agent>;

export const AgentIdInput = z.object({ id: AgentId });
export type AgentIdInput = z.input<typeof AgentIdInput>;

export const AgentQueryOutput = z.object({
  id: z.string(),
  state: AgentState,
  agoraStatus: z.string().nullable(),
  updatedAt: z.date(),
  /** The last error; on a failed agent, why it failed. */
  lastError: LastError,
  /** Agora's query body as received, or null when Agora was not asked (the agent had ended). */
  raw: z.unknown(),
});
export type AgentQueryOutput = z.infer<typeof AgentQueryOutput>;

export const AgentStopOutput = z.object({
  id: z.string(),
  /** `stopped` once Agora confirmed it; `stopping` while it cannot yet; `failed` when it had ended in a failure. */
  state: z.enum(['stopped', 'stopping', 'failed']),
  /** True when it had already ended (idle exit, an earlier stop, a failure) before this stop. */
  alreadyStopped: z.boolean(),
  lastError: LastError,
});
export type AgentStopOutput = z.infer<typeof AgentStopOutput>;

const ChatMessage = z.looseObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(16_384),
});

/** `agent.update`: only what Agora lets change on a running agent. `llmParams` replaces the stored params whole (no merge). */
export const AgentUpdateChanges = z
  .object({
    systemMessages: z.array(ChatMessage).min(1).max(64).optional(),
    /** Replaces the LLM's params whole (Agora does not merge them). */
    llmParams: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ minProperties: 1, description: 'at least one change: systemMessages or llmParams' });

export const AgentUpdateInput = AgentUpdateChanges.extend({ id: AgentId }).refine(
  (input) => input.systemMessages !== undefined || input.llmParams !== undefined,
  {
    error: 'give at least one change: systemMessages or llmParams',
  },
);
export type AgentUpdateInput = z.input<typeof AgentUpdateInput>;
export const AgentUpdateOutput = z.object({ id: z.string(), updatedAt: z.date() });

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

export const AgentSpeakInput = z.object({
  id: AgentId,
  text: z
    .string({ error: 'must be a text' })
    .min(1, { error: 'must not be empty' })
    .refine((text) => utf8Bytes(text) <= AGENT_SPEAK_MAX_BYTES, { error: `must be at most ${AGENT_SPEAK_MAX_BYTES} bytes of UTF-8` }),
  /** INTERRUPT cuts off what the agent says, APPEND waits, IGNORE is dropped while the agent is busy. */
  priority: z.enum(['INTERRUPT', 'APPEND', 'IGNORE']).optional(),
  interruptable: z.boolean().optional(),
});
export type AgentSpeakInput = z.input<typeof AgentSpeakInput>;

export const AgentThinkInput = z.object({
  id: AgentId,
  text: z.string({ error: 'must be a text' }).min(1, { error: 'must not be empty' }).max(8_192),
  onListening: z.enum(['inject', 'interrupt', 'ignore']).optional(),
  onThinking: z.enum(['interrupt', 'ignore']).optional(),
  onSpeaking: z.enum(['interrupt', 'ignore']).optional(),
  interruptable: z.boolean().optional(),
});
export type AgentThinkInput = z.input<typeof AgentThinkInput>;

/** What speak, interrupt and think answer. */
export const AgentActionOutput = z.object({ id: z.string(), at: z.date() });
export type AgentActionOutput = z.infer<typeof AgentActionOutput>;

export const AgentListInput = z.object({
  channel: ChannelName.optional(),
  state: AgentState.optional(),
  cursor: ListCursor.optional(),
  limit: boundedInt(1, 100).default(20),
});
export type AgentListInput = z.input<typeof AgentListInput>;
export const AgentListOutput = z.object({ items: z.array(Agent), nextCursor: z.string().nullable() });

/** One message of the conversation, as the registry keeps it. */
export const AgentMessage = z.object({
  /** Its place in the conversation, from 1 (below 1 for older messages seen only after newer ones were kept). */
  seq: z.number(),
  role: z.string(),
  content: z.string(),
  /** When the server first saw it. */
  seenAt: z.date(),
});
export type AgentMessage = z.infer<typeof AgentMessage>;

export const AgentHistoryOutput = z.object({
  id: z.string(),
  state: AgentState,
  messages: z.array(AgentMessage),
});
export type AgentHistoryOutput = z.infer<typeof AgentHistoryOutput>;

/** One turn with its latencies (Agora's `turns`). */
export const AgentTurn = z.object({
  turnId: z.number(),
  startedAt: z.date(),
  endedAt: z.date().nullable(),
  startType: z.string(),
  endType: z.string().nullable(),
  e2eLatencyMs: z.number().nullable(),
  segments: z.array(z.object({ name: z.string(), latencyMs: z.number() })),
});
export type AgentTurn = z.infer<typeof AgentTurn>;

export const AgentTurnsOutput = z.object({
  id: z.string(),
  /** False while the agent runs: turns are read from Agora once it has ended. */
  complete: z.boolean(),
  turns: z.array(AgentTurn),
});
export type AgentTurnsOutput = z.infer<typeof AgentTurnsOutput>;

export const AgentStatusEvent = z.object({
  id: z.string(),
  state: AgentState,
  agoraStatus: z.string().nullable(),
  at: z.date(),
  source: z.enum(['poll', 'webhook', 'api']),
  lastError: LastError,
  /** A new message of the conversation, on the events that carry one. */
  message: AgentMessage.nullable(),
});
export type AgentStatusEvent = z.infer<typeof AgentStatusEvent>;

export const AgentWatchInput = z.object({
  id: AgentId,
  lastEventId: z.string().regex(/^\d+$/, { error: 'must be an event id from an earlier event' }).nullish(),
});
export type AgentWatchInput = z.input<typeof AgentWatchInput>;
