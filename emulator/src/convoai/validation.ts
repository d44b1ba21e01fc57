import { z } from 'zod';
import { isValidChannelName } from '../validation.js';

/**
 * The rules of Agora's Conversational AI v2 requests (README, "Conversational AI"), written from
 * Agora's published OpenAPI description: the envelope only. Vendor `params` (asr, tts, llm, mllm,
 * avatar) pass through untouched, and every object takes keys the emulator does not know, as
 * Agora's do. A failure answers 400 `{detail, reason: "InvalidRequest"}`, the detail naming the
 * field and the rule.
 */

/** A type's message, or "is required" when the field is missing. */
const need = (what: string) => ({ error: (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `must be ${what}`) });
const str = (what = 'a string') => z.string(need(what));
const bool = z.boolean(need('true or false'));
const int = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be from ${min} to ${max}` })
    .max(max, { error: `must be from ${min} to ${max}` });
const positiveInt = z
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(0, { error: 'must be at least 0' });
const obj = z.record(z.string(), z.unknown(), need('an object'));
const loose = <T extends z.ZodRawShape>(shape: T) => z.looseObject(shape, need('an object'));
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, need(`one of ${values.join(', ')}`));
const stringMap = z.record(z.string(), z.string({ error: 'values must be strings' }), { error: 'must be an object of strings' });
/** Exclusive (0, 1), as the thresholds are. */
const unitOpen = z
  .number({ error: 'must be a number between 0 and 1' })
  .gt(0, { error: 'must be between 0 and 1 (exclusive)' })
  .lt(1, { error: 'must be between 0 and 1 (exclusive)' });
const keywords = z.array(str(), { error: 'must be an array of strings' }).max(128, { error: 'holds at most 128 keywords' });
const httpUrl = str('an http(s) URL').regex(/^https?:\/\/\S+$/i, { error: 'must be an http(s) URL' });
const modalities = (allowed: string[][]) =>
  z
    .array(str(), { error: 'must be an array of strings' })
    .refine((list) => allowed.some((option) => option.length === list.length && option.every((item, index) => list[index] === item)), {
      error: `must be one of ${allowed.map((option) => JSON.stringify(option)).join(', ')}`,
    });

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
const credentialMode = oneOf(['managed', 'byok']);
const MAX_UID = 2 ** 32 - 1;

const Asr = loose({
  credential_mode: credentialMode.optional(),
  language: str().min(2, { error: 'must be a language tag such as en-US' }).optional(),
  vendor: oneOf(ASR_VENDORS).optional(),
  params: obj.optional(),
});

const Tts = loose({
  credential_mode: credentialMode.optional(),
  vendor: oneOf(TTS_VENDORS),
  url: httpUrl.optional(),
  headers: stringMap.optional(),
  params: obj,
  skip_patterns: z.array(int(1, 5), { error: 'must be an array of numbers from 1 to 5' }).optional(),
}).superRefine((tts, ctx) => {
  if (tts.vendor === 'generic_http' && tts.url === undefined)
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required when vendor is generic_http' });
});

const McpServer = loose({
  name: str().regex(/^[A-Za-z0-9]{1,48}$/, { error: 'must be 1 to 48 letters and digits' }),
  endpoint: str().min(1, { error: 'must not be empty' }),
  transport: oneOf(['streamable_http']).optional(),
  headers: stringMap.optional(),
  timeout_ms: positiveInt.optional(),
  allowed_tools: z.array(str(), { error: 'must be an array of tool names' }).optional(),
});

const SystemMessage = loose({ role: str(), content: z.unknown() });
const SystemMessages = z.array(SystemMessage, { error: 'must be an array of {role, content} objects' });

const Llm = loose({
  credential_mode: credentialMode.optional(),
  url: str().min(1, { error: 'must not be empty' }).optional(),
  api_key: str().optional(),
  system_messages: SystemMessages.optional(),
  params: obj.optional(),
  max_history: int(1, 1024).optional(),
  input_modalities: modalities([['text'], ['text', 'image']]).optional(),
  output_modalities: modalities([['text'], ['audio'], ['text', 'audio']]).optional(),
  greeting_message: str().optional(),
  greeting_audio_url: str()
    .min(1, { error: 'must not be empty' })
    .refine((url) => Buffer.byteLength(url) <= 2048, { error: 'must be at most 2048 bytes' })
    .refine((url) => /^https?:\/\/\S+$/i.test(url), { error: 'must be an http(s) URL' })
    .optional(),
  greeting_configs: loose({
    mode: oneOf(['single_every', 'single_first']).optional(),
    delay_ms: positiveInt.optional(),
    interruptable: bool.optional(),
    audio_download_timeout_ms: int(200, 10_000).optional(),
    audio_pcm_sample_rate: positiveInt.optional(),
  }).optional(),
  failure_message: str().optional(),
  vendor: oneOf(['openai', 'azure', 'xai', 'custom']).optional(),
  style: oneOf(['openai', 'gemini', 'anthropic', 'dify']).optional(),
  template_variables: stringMap.optional(),
  mcp_servers: z.array(McpServer, { error: 'must be an array' }).optional(),
  headers: stringMap.optional(),
}).superRefine((llm, ctx) => {
  if (llm.greeting_audio_url !== undefined && llm.greeting_message === undefined)
    ctx.addIssue({ code: 'custom', path: ['greeting_message'], message: 'is required with greeting_audio_url (it is the fallback)' });
});

const vadMs = {
  interrupt_duration_ms: positiveInt.optional(),
  prefix_padding_ms: positiveInt.optional(),
  silence_duration_ms: positiveInt.optional(),
  threshold: unitOpen.optional(),
};
const MllmTurnDetection = loose({
  mode: oneOf(['agora_vad', 'server_vad', 'semantic_vad']).optional(),
  agora_vad_config: loose(vadMs).optional(),
  server_vad_config: loose({
    ...vadMs,
    idle_timeout_ms: positiveInt.optional(),
    start_of_speech_sensitivity: oneOf(['START_SENSITIVITY_HIGH', 'START_SENSITIVITY_LOW']).optional(),
    end_of_speech_sensitivity: oneOf(['END_SENSITIVITY_HIGH', 'END_SENSITIVITY_LOW']).optional(),
  }).optional(),
  semantic_vad_config: loose({ eagerness: oneOf(['auto', 'low', 'medium', 'high']).optional() }).optional(),
});

const Mllm = loose({
  enable: bool.optional(),
  url: str().optional(),
  api_key: str(),
  messages: z.array(obj, { error: 'must be an array of objects' }).optional(),
  params: obj.optional(),
  input_modalities: modalities([['audio'], ['audio', 'text']]).optional(),
  output_modalities: modalities([['text', 'audio'], ['audio'], ['text']]).optional(),
  greeting_message: str().optional(),
  vendor: oneOf(['openai', 'gemini', 'vertexai', 'xai']).optional(),
  turn_detection: MllmTurnDetection.optional(),
});

const START_OF_SPEECH_MODES = ['vad', 'manual', 'keywords', 'disabled'] as const;
const StartOfSpeech = loose({
  mode: oneOf(START_OF_SPEECH_MODES),
  vad_config: loose({
    interrupt_duration_ms: positiveInt.optional(),
    speaking_interrupt_duration_ms: positiveInt.optional(),
    prefix_padding_ms: positiveInt.optional(),
  }).optional(),
  keywords_config: loose({ triggered_keywords: keywords.optional() }).optional(),
  disabled_config: loose({ strategy: oneOf(['append', 'ignore']).optional() }).optional(),
}).superRefine((sos, ctx) => {
  for (const mode of START_OF_SPEECH_MODES) {
    const key = `${mode}_config`;
    if (mode !== sos.mode && key in sos)
      ctx.addIssue({ code: 'custom', path: [key], message: `is not allowed with mode ${sos.mode} (only ${sos.mode}_config)` });
  }
});
const EndOfSpeech = loose({
  mode: oneOf(['vad', 'semantic', 'manual']),
  vad_config: loose({
    silence_duration_ms: positiveInt.optional(),
    max_wait_ms: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(-1, { error: 'must be -1 or more' })
      .optional(),
    pause_state_enabled: bool.optional(),
  }).optional(),
  semantic_config: loose({
    silence_duration_ms: positiveInt.optional(),
    max_wait_ms: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(-1, { error: 'must be -1 or more' })
      .optional(),
    pause_state_enabled: bool.optional(),
  }).optional(),
});

const TurnDetection = loose({
  mode: str().optional(),
  config: loose({
    speech_threshold: unitOpen.optional(),
    start_of_speech: StartOfSpeech.optional(),
    end_of_speech: EndOfSpeech.optional(),
  }).optional(),
  // The deprecated flat fields, still accepted.
  type: oneOf(['agora_vad', 'server_vad', 'semantic_vad']).optional(),
  interrupt_mode: oneOf(['interrupt', 'append', 'ignore', 'keywords', 'adaptive']).optional(),
  interrupt_duration_ms: positiveInt.optional(),
  interrupt_keywords: keywords.optional(),
  prefix_padding_ms: positiveInt.optional(),
  silence_duration_ms: positiveInt.optional(),
  threshold: unitOpen.optional(),
  eagerness: oneOf(['auto', 'low', 'medium', 'high']).optional(),
});

const Interruption = loose({
  enable: bool.optional(),
  mode: oneOf(['start_of_speech', 'keywords']).optional(),
  keywords_config: loose({ trigger_keywords: keywords.optional() }).optional(),
  disabled_config: loose({ strategy: oneOf(['append', 'ignore']).optional() }).optional(),
});

const Sal = loose({
  sal_mode: oneOf(['locking', 'recognition']).optional(),
  sample_urls: stringMap
    .refine((urls) => Object.keys(urls).length <= 1, { error: 'holds at most one entry' })
    .refine((urls) => !('unknown' in urls), { error: 'may not use the reserved name unknown' })
    .optional(),
});

const Rtc = loose({
  encryption_key: str().optional(),
  encryption_salt: str()
    .refine((salt) => /^[A-Za-z0-9+/]+={0,2}$/.test(salt) && Buffer.from(salt, 'base64').length === 32, {
      error: 'must be base64 of 32 bytes',
    })
    .optional(),
  encryption_mode: int(1, 8).optional(),
}).superRefine((rtc, ctx) => {
  if ((rtc.encryption_mode === 7 || rtc.encryption_mode === 8) && rtc.encryption_salt === undefined)
    ctx.addIssue({ code: 'custom', path: ['encryption_salt'], message: 'is required when encryption_mode is 7 or 8' });
});

const words = (text: string) => text.trim().split(/\s+/).filter(Boolean).length;
const FillerWords = loose({
  enable: bool.optional(),
  trigger: loose({
    mode: oneOf(['fixed_time']).optional(),
    fixed_time_config: loose({ response_wait_ms: positiveInt.optional() }).optional(),
  }).optional(),
  content: loose({
    mode: oneOf(['static']).optional(),
    static_config: loose({
      phrases: z
        .array(
          str().refine((phrase) => words(phrase) <= 50, { error: 'must be at most 50 words' }),
          { error: 'must be an array of strings' },
        )
        .min(1, { error: 'must hold at least one phrase' })
        .max(100, { error: 'holds at most 100 phrases' }),
      selection_rule: oneOf(['shuffle', 'round_robin']).optional(),
    }).optional(),
  }).optional(),
});

const Parameters = loose({
  silence_config: loose({ timeout_ms: int(0, 60_000).optional(), action: oneOf(['speak', 'think']).optional(), content: str().optional() })
    .superRefine((silence, ctx) => {
      if ((silence.timeout_ms ?? 0) > 0 && !silence.content)
        ctx.addIssue({ code: 'custom', path: ['content'], message: 'is required when timeout_ms is not 0' });
    })
    .optional(),
  farewell_config: loose({ graceful_enabled: bool.optional(), graceful_timeout_seconds: int(1, 3_600).optional() }).optional(),
  data_channel: oneOf(['rtm', 'datastream']).optional(),
  enable_metrics: bool.optional(),
  enable_error_message: bool.optional(),
  audio_scenario: oneOf(['default', 'chorus', 'aiserver']).optional(),
  opt_out: bool.optional(),
});

const GEO_AREAS = ['GLOBAL', 'NORTH_AMERICA', 'EUROPE', 'ASIA', 'INDIA', 'JAPAN'] as const;
const Geofence = loose({
  area: oneOf(GEO_AREAS),
  exclude_area: oneOf(['NORTH_AMERICA', 'EUROPE', 'ASIA', 'INDIA', 'JAPAN']).optional(),
}).superRefine((geofence, ctx) => {
  if (geofence.exclude_area !== undefined && geofence.area !== 'GLOBAL')
    ctx.addIssue({ code: 'custom', path: ['exclude_area'], message: 'is allowed only when area is GLOBAL' });
});

const Properties = loose({
  channel: str().refine(isValidChannelName, { error: "must be a channel name: under 64 bytes of letters, digits and Agora's punctuation" }),
  token: str(),
  agent_rtc_uid: str('a string of the uid'),
  remote_rtc_uids: z
    .array(str(), need('an array of uid strings'))
    .min(1, { error: 'must name the user the agent listens to' })
    .max(1, { error: 'holds one uid (Agora supports one at present)' }),
  enable_string_uid: bool.optional(),
  idle_timeout: int(0, 259_200).optional(),
  geofence: Geofence.optional(),
  advanced_features: loose({
    enable_mllm: bool.optional(),
    enable_rtm: bool.optional(),
    enable_sal: bool.optional(),
    enable_tools: bool.optional(),
  }).optional(),
  asr: Asr.optional(),
  tts: Tts.optional(),
  llm: Llm.optional(),
  mllm: Mllm.optional(),
  avatar: loose({
    enable: bool.optional(),
    vendor: oneOf(['akool', 'liveavatar', 'anam', 'generic']).optional(),
    params: obj.optional(),
  }).optional(),
  turn_detection: TurnDetection.optional(),
  interruption: Interruption.optional(),
  sal: Sal.optional(),
  labels: stringMap.optional(),
  rtc: Rtc.optional(),
  filler_words: FillerWords.optional(),
  parameters: Parameters.optional(),
});

function checkUid(uid: string, stringUids: boolean, path: (string | number)[], ctx: z.RefinementCtx, random: boolean) {
  if (stringUids) {
    if (uid === '' || Buffer.byteLength(uid) > 255) ctx.addIssue({ code: 'custom', path, message: 'must be 1 to 255 bytes' });
    return;
  }
  const ok = /^\d{1,10}$/.test(uid) && Number(uid) <= MAX_UID && (random || uid !== '0');
  if (!ok)
    ctx.addIssue({
      code: 'custom',
      path,
      message: `must be a string of an integer from ${random ? 0 : 1} to ${MAX_UID} (enable_string_uid is false)`,
    });
}

/** Cross-field rules of `properties`: uids, which pipeline is complete, RTM-only settings. */
function checkProperties(
  join: { pipeline_id?: string | undefined; preset?: string | undefined; properties: z.infer<typeof Properties> },
  ctx: z.RefinementCtx,
) {
  const p = join.properties;
  const stringUids = p.enable_string_uid === true;
  checkUid(p.agent_rtc_uid, stringUids, ['properties', 'agent_rtc_uid'], ctx, true);
  p.remote_rtc_uids.forEach((uid, index) => uid !== '*' && checkUid(uid, stringUids, ['properties', 'remote_rtc_uids', index], ctx, false));
  const mllm = p.mllm?.enable === true || p.advanced_features?.enable_mllm === true;
  if (mllm && !p.mllm)
    ctx.addIssue({ code: 'custom', path: ['properties', 'mllm'], message: 'is required when advanced_features.enable_mllm is true' });
  // A Studio pipeline or presets supply what the body leaves out; a multimodal model replaces the chain.
  const supplied = join.pipeline_id !== undefined || join.preset !== undefined;
  if (!mllm && !supplied) {
    if (!p.tts)
      ctx.addIssue({ code: 'custom', path: ['properties', 'tts'], message: 'is required (unless pipeline_id, preset or mllm is used)' });
    if (!p.llm)
      ctx.addIssue({ code: 'custom', path: ['properties', 'llm'], message: 'is required (unless pipeline_id, preset or mllm is used)' });
    else if (p.llm.url === undefined && p.llm.credential_mode !== 'managed')
      ctx.addIssue({
        code: 'custom',
        path: ['properties', 'llm', 'url'],
        message: 'is required (unless credential_mode is managed, or pipeline_id or preset is used)',
      });
  }
  const rtm = p.advanced_features?.enable_rtm === true;
  if (p.parameters?.data_channel === 'rtm' && !rtm)
    ctx.addIssue({ code: 'custom', path: ['properties', 'parameters', 'data_channel'], message: 'rtm needs advanced_features.enable_rtm' });
  const config = p.turn_detection?.config;
  for (const [key, mode] of [
    ['start_of_speech', config?.start_of_speech?.mode],
    ['end_of_speech', config?.end_of_speech?.mode],
  ] as const) {
    if (mode === 'manual' && (!rtm || p.parameters?.data_channel !== 'rtm')) {
      ctx.addIssue({
        code: 'custom',
        path: ['properties', 'turn_detection', 'config', key, 'mode'],
        message: 'manual needs advanced_features.enable_rtm and parameters.data_channel rtm',
      });
    }
  }
}

export const JoinRequest = z
  .object({
    name: str().min(1, { error: 'must not be empty' }),
    pipeline_id: str().min(1, { error: 'must not be empty' }).optional(),
    preset: str()
      .regex(/^[a-z0-9_.-]+(,[a-z0-9_.-]+)*$/i, { error: 'must be a comma-separated list of preset names' })
      .optional(),
    properties: Properties,
  })
  .superRefine(checkProperties);
export type JoinRequest = z.infer<typeof JoinRequest>;

/** Only what Agora lets a running agent change; `llm.params` replaces the stored params whole. */
export const UpdateRequest = z.strictObject(
  {
    properties: z
      .strictObject(
        {
          token: str().min(1, { error: 'must not be empty' }).optional(),
          llm: z
            .strictObject(
              { system_messages: SystemMessages.optional(), params: obj.optional() },
              { error: 'must be an object (system_messages, params)' },
            )
            .optional(),
          mllm: z.strictObject({ params: obj.optional() }, { error: 'must be an object (params)' }).optional(),
        },
        { error: 'must be an object (token, llm, mllm)' },
      )
      .optional(),
  },
  { error: 'must be an object' },
);
export type UpdateRequest = z.infer<typeof UpdateRequest>;

export const SpeakRequest = z.object({
  text: str()
    .min(1, { error: 'must not be empty' })
    .refine((text) => Buffer.byteLength(text) <= 512, { error: 'must be at most 512 bytes' }),
  priority: oneOf(['INTERRUPT', 'APPEND', 'IGNORE']).default('INTERRUPT'),
  interruptable: bool.default(true),
});
export type SpeakRequest = z.infer<typeof SpeakRequest>;

export const ThinkRequest = z.object({
  text: str().min(1, { error: 'must not be empty' }),
  on_listening_action: oneOf(['inject', 'interrupt', 'ignore']).default('interrupt'),
  on_thinking_action: oneOf(['interrupt', 'ignore']).default('interrupt'),
  on_speaking_action: oneOf(['interrupt', 'ignore']).default('ignore'),
  interruptable: bool.default(true),
  metadata: obj.optional(),
});
export type ThinkRequest = z.infer<typeof ThinkRequest>;

/** The first issue, as `field rule`. */
export function detailFor(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request';
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return `${[...(path ? [path] : []), issue.keys[0]].join('.')} cannot be changed by update`;
  return path ? `${path} ${issue.message}` : issue.message;
}
