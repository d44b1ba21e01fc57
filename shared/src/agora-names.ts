import { z } from 'zod';

/**
 * Characters Agora allows in channel names and RTC user accounts: letters, digits, space and
 * `! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,`.
 * @see https://docs.agora.io/en/video-calling/reference/api (joinChannel, channelId)
 */
const AGORA_NAME_PATTERN = /^[a-zA-Z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]*$/;

/** The allowed characters, spelled out for error messages. */
export const AGORA_NAME_CHARACTERS = 'letters, digits, space and ! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,';

const encoder = new TextEncoder();

/** Length of a string in UTF-8 bytes, which is how Agora counts (browser-safe). */
export function utf8ByteLength(value: string): number {
  // ASCII, the common case for channel names and uids, is one byte a character.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(value) ? value.length : encoder.encode(value).length;
}

/** The same rule as JSON Schema, for the OpenAPI document (the allowed characters are ASCII: bytes = characters). */
export const AGORA_NAME_JSON_PATTERN = AGORA_NAME_PATTERN.source.replace(/\*\$$/, '+$');

function agoraName(label: string, maxBytes: number) {
  return z
    .string({ error: `${label} must be a string` })
    .refine((value) => value.length > 0, { error: `must not be empty` })
    .refine((value) => utf8ByteLength(value) <= maxBytes, {
      error: `must be at most ${maxBytes} bytes`,
    })
    .refine((value) => AGORA_NAME_PATTERN.test(value), {
      error: `may contain only ${AGORA_NAME_CHARACTERS}`,
    })
    .meta({
      minLength: 1,
      maxLength: maxBytes,
      pattern: AGORA_NAME_JSON_PATTERN,
      description: `1–${maxBytes} bytes of ${AGORA_NAME_CHARACTERS}`,
    });
}

/**
 * Whether `value` passes agoraName(…, maxBytes)'s checks; ASCII only (the pattern allows no other
 * characters), so bytes are characters. For pre-checks that must accept only what the schema accepts.
 */
export function isAgoraName(value: unknown, maxBytes: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxBytes && AGORA_NAME_PATTERN.test(value);
}

/** An RTC channel name: 1..63 bytes of Agora's allowed characters (docs/agora.md, "Names"). */
export const ChannelName = agoraName('channel', 63);
export type ChannelName = z.infer<typeof ChannelName>;

/** An RTC user account (string uid): 1..255 bytes of Agora's allowed characters. */
export const RtcUserAccount = agoraName('user account', 255);

/** The largest numeric uid Agora accepts: an unsigned 32-bit integer. */
export const MAX_UID = 2 ** 32 - 1;

/** A numeric RTC uid, 0..2^32−1. 0 in a token means any uid may join with it. */
export const NumericUid = z
  .number({ error: 'must be a number or a string' })
  .int({ error: `must be a whole number from 0 to ${MAX_UID}` })
  .min(0, { error: `must be a whole number from 0 to ${MAX_UID}` })
  .max(MAX_UID, { error: `must be a whole number from 0 to ${MAX_UID}` });

/** The calls of Agora's Cloud Recording REST API, as the client, the emulator and metrics name them. */
export const CLOUD_RECORDING_ENDPOINTS = ['acquire', 'start', 'query', 'update', 'updateLayout', 'stop'] as const;
export type CloudRecordingEndpoint = (typeof CLOUD_RECORDING_ENDPOINTS)[number];

/** The calls of Agora's Real-Time Speech-to-Text 7.x REST API: join, query, update, leave, list. */
export const SPEECH_TO_TEXT_ENDPOINTS = ['sttJoin', 'sttQuery', 'sttUpdate', 'sttLeave', 'sttList'] as const;
export type SpeechToTextEndpoint = (typeof SPEECH_TO_TEXT_ENDPOINTS)[number];

/** The calls of Agora's Conversational AI v2 REST API (voice agents), as the client and metrics name them. */
export const CONVERSATIONAL_AI_ENDPOINTS = [
  'agentJoin',
  'agentLeave',
  'agentUpdate',
  'agentQuery',
  'agentList',
  'agentSpeak',
  'agentInterrupt',
  'agentThink',
  'agentHistory',
  'agentTurns',
] as const;
export type ConversationalAiEndpoint = (typeof CONVERSATIONAL_AI_ENDPOINTS)[number];

/**
 * The calls of Agora's RTC channel management REST API: the channel list, a channel's users, one
 * user's status, and the ban ("kicking") rules' create, list, update and delete.
 */
export const CHANNEL_MANAGEMENT_ENDPOINTS = [
  'channelList',
  'channelUsers',
  'channelUser',
  'banCreate',
  'banList',
  'banUpdate',
  'banDelete',
] as const;
export type ChannelManagementEndpoint = (typeof CHANNEL_MANAGEMENT_ENDPOINTS)[number];
