/**
 * Real-Time Speech-to-Text 7.x as the emulator keeps it: agents (Agora's word for a transcription
 * task), their captions, and the states Agora reports.
 */

/** Agora's agent states, in the order of the list API's `state` digits (0–6). */
export const AGENT_STATUSES = ['IDLE', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'RECOVERING', 'FAILED'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Why an agent ended, with the `message` Agora's "agent left" notice (102) carries. */
export const END_MESSAGES = {
  left: 'OK',
  idle: 'Idle for too long',
  lifetime: 'Task exceeded maximum lifetime',
  rtc: 'RTC connection error',
  asr: 'Fatal ASR error',
  translation: 'Fatal Translation error',
} as const;
export type AgentEndReason = keyof typeof END_MESSAGES;

/** Every agent ends after 72 hours, whatever its maxIdleTime. */
export const AGENT_LIFETIME_MS = 259_200_000;

export interface LanguagePair {
  source: string;
  target: string[];
}

/** One piece of recognised speech: its text in the source language and each translation. */
export interface Cue {
  at: number;
  durationMs: number;
  uid: string;
  language: string;
  text: string;
  /** Target language → translated text. */
  translations: Map<string, string>;
}

export interface CaptionStorage {
  vendor: number;
  region: number;
  bucket: string;
  prefix: string[];
  sliceMs: number;
}

export interface Agent {
  agentId: string;
  name: string;
  channel: string;
  pubBotUid: string;
  languages: string[];
  translations: LanguagePair[];
  subscribeAudioUids: Set<string> | undefined;
  unsubscribeAudioUids: Set<string> | undefined;
  /** 0: no idle exit. */
  maxIdleMs: number;
  createdAt: number;
  idleSince: number | undefined;
  endedAt: number | undefined;
  endReason: AgentEndReason | undefined;
  /** The highest update sequenceId applied so far. */
  sequenceId: number;
  captions: CaptionStorage | undefined;
  cues: Cue[];
  /** Caption playlists announced with notice 200 (once each). */
  announced: Set<string>;
  /** The agent's writes, one after another. */
  uploading: Promise<void>;
  /** Whether the last upload round failed (notice 202 instead of 201). */
  uploadFailed: boolean;
}

export interface AgentView {
  agentId: string;
  name: string;
  channel: string;
  pubBotUid: string;
  status: AgentStatus;
  languages: string[];
  translations: LanguagePair[];
  subscribeAudioUids: string[] | undefined;
  createdAt: number;
  endedAt: number | undefined;
  endReason: AgentEndReason | undefined;
  cues: number;
  files: string[];
}
