/**
 * Conversational AI v2 as the emulator keeps it (README, "Conversational AI"): voice agents in a
 * channel, their conversation (history and turns) and the states Agora reports.
 */

/** Agora's agent states by number; 5 is unused. */
export const CONVO_STATES = { IDLE: 0, STARTING: 1, RUNNING: 2, STOPPING: 3, STOPPED: 4, FAILED: 6 } as const;
export type ConvoStatus = keyof typeof CONVO_STATES;

/** Why an agent ended, with the `message` query and notice 102 carry. */
export const CONVO_END_MESSAGES = {
  left: 'agent left by request',
  idle: 'idle timeout: no subscribed user in the channel',
  lifetime: 'exceeded the 72-hour maximum duration',
  token: 'token expired',
  failed: 'agent failed',
} as const;
export type ConvoEndReason = keyof typeof CONVO_END_MESSAGES;

/** What the control API can make fail, as notice 110's `module`. */
export const FAILURE_MODULES = ['rtc', 'rtm', 'asr', 'llm', 'tts', 'mllm', 'avatar'] as const;
export type FailureModule = (typeof FAILURE_MODULES)[number];

/** Every session ends after 72 hours, whatever its idle_timeout. */
export const CONVO_LIFETIME_MS = 72 * 3_600_000;
/** Turns stay queryable for 7 days after the session. */
export const TURN_RETENTION_MS = 7 * 86_400_000;
/** Notice 104 comes this long before the agent's token expires (as RTC's "privilege will expire"). */
export const EXPIRE_WARNING_MS = 30_000;

export interface HistoryEntry {
  role: 'user' | 'assistant';
  content: string;
  /** Only with llm.vendor custom. */
  speech_start_ms?: number;
  speech_end_ms?: number;
  speech_algorithmic_delay?: number;
}

export type TurnStartType = 'voice_input' | 'greeting' | 'silence_timeout' | 'api_speak';
export type TurnEndType = 'ok' | 'interrupted' | 'ignored' | 'error';

export interface Turn {
  turnId: number;
  start: { start_at: number; type: TurnStartType; metadata: Record<string, unknown> };
  /** When the agent's audio starts (after the pipeline's latency). */
  playbackAt: number;
  end: { end_at: number; type: TurnEndType; metadata: Record<string, unknown> };
  /** Whether the user's voice may cut it off. */
  interruptable: boolean;
  metrics: { e2e_latency_ms: number; segmented_latency_ms: { name: string; latency: number }[] };
}

/** What the agent was configured with, as far as the emulated conversation reads it. */
export interface ConvoProfile {
  remoteUids: string[];
  greeting: string | undefined;
  greetingInterruptable: boolean;
  /** llm.params.model, mllm.params.model or the vendor: the reply names it. */
  model: string | undefined;
  customVendor: boolean;
  /** mllm: no speak, audio latency segments. */
  multimodal: boolean;
  maxHistory: number;
  interruptionEnabled: boolean;
  /** With interruption off: append the user's turn after the agent's, or ignore it. */
  disabledStrategy: 'append' | 'ignore';
  gracefulMs: number | undefined;
  rtm: boolean;
  /** parameters.enable_metrics: notice 111 after each turn. */
  metrics: boolean;
}

export interface ConvoAgent {
  agentId: string;
  name: string;
  channel: string;
  uid: string;
  labels: Record<string, string>;
  profile: ConvoProfile;
  /** The body's properties (vendor params untouched), updated by `update`. */
  properties: Record<string, unknown>;
  createdAt: number;
  /** When the agent's token (or its join privilege) runs out. */
  tokenExpiresAt: number;
  /** Token expiry announced by notice 104 for this expiry time. */
  expiryWarned: number | undefined;
  idleMs: number;
  idleSince: number | undefined;
  /** Set when leave with a graceful farewell waits for the current turn. */
  stoppingUntil: number | undefined;
  endedAt: number | undefined;
  endReason: ConvoEndReason | undefined;
  /** The failure's message (control API), for query and notices. */
  failure: { module: FailureModule; message: string } | undefined;
  joinedAnnounced: boolean;
  /** How many turns notice 111 has reported (in order). */
  turnsAnnounced: number;
  greeted: boolean;
  history: HistoryEntry[];
  turns: Turn[];
}

export interface ConvoAgentView {
  agentId: string;
  name: string;
  channel: string;
  uid: string;
  status: ConvoStatus;
  labels: Record<string, string>;
  createdAt: number;
  endedAt: number | undefined;
  endReason: ConvoEndReason | undefined;
  message: string;
  tokenExpiresAt: number;
  /** The join's properties as stored (vendor params untouched), after any update. */
  properties: Record<string, unknown>;
  history: HistoryEntry[];
  turns: number;
}
