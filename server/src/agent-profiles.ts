import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';
import { AgentSettings, missingModels, type AgentJoinRequest } from './agora/conversational-ai-types.js';
import { secretsIn } from './agora/conversational-ai.js';
import { AppError } from './errors.js';

/**
 * Agent profiles: what a Conversational AI agent is made of (a Studio pipeline, a preset, or its own
 * ASR/LLM/TTS or multimodal vendor settings with their keys), kept on the server and chosen by
 * name; callers may set only what a profile allows (docs/agents.md, "Profiles").
 *
 * Read once at start-up from AGENT_PROFILES_FILE (a JSON file) or AGENT_PROFILES (the same JSON
 * inline), with every problem listed and no value quoted. A profile's vendor settings leave the
 * server only in an agent's join body: `redactProfile` is what anyone else sees, and a profile
 * logged, printed or serialised by mistake shows that same safe view.
 */

/** The built-in profile's name: used when a caller names none. */
export const DEFAULT_PROFILE = 'default';

const ProfileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { error: 'must be 1 to 64 letters, digits, _ or -, starting with a letter or digit' });
const VariableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: 'must be a template variable name (letters, digits, _)' });
const Uid = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(255, { error: 'must be at most 255 characters' });

/** The most of Agora's idle timeout: 72 hours. */
const MAX_IDLE_SECONDS = 259_200;
const IdleBounds = z
  .strictObject({
    min: z.number().int().min(0).max(MAX_IDLE_SECONDS).default(0),
    max: z.number().int().min(0).max(MAX_IDLE_SECONDS).default(MAX_IDLE_SECONDS),
  })
  .refine((bounds) => bounds.min <= bounds.max, { error: 'min must not exceed max' });

/** What callers may set when they start an agent from this profile; nothing unless named. */
const Allow = z.strictObject({
  greeting: z.boolean().default(false),
  /** `true`: any template variable; a list: only those names. */
  variables: z.union([z.literal(true), z.literal(false), z.array(VariableName)]).default(false),
  remoteUids: z.boolean().default(false),
  /** `true`: Agora's whole range (0 to 72 h); or bounds in seconds. */
  idleTimeoutSeconds: z.union([z.boolean(), IdleBounds]).default(false),
  labels: z.boolean().default(false),
});

/** Keys of Agora's `properties` the server sets for every agent: a profile may not. */
const SERVER_KEYS: Record<string, string> = {
  channel: "is the caller's channel",
  token: 'is built by the server for each agent',
  agent_rtc_uid: 'is picked by the server for each agent',
  remote_rtc_uids: "is set with the profile's remoteUids",
};

const Profile = z
  .strictObject({
    description: z.string().max(500).optional(),
    /** An agent published in Agora's Studio: its saved settings are the base, `settings` override them. */
    pipelineId: z.string().min(1).optional(),
    /** Agora's (deprecated) preset list, e.g. `deepgram_nova_3,openai_gpt_5_mini,minimax_speech_2_6_turbo`. */
    preset: z.string().min(1).optional(),
    /** The users the agent listens to when the caller names none (Agora supports one at present). */
    remoteUids: z.array(Uid).min(1).optional(),
    /** Agora's `properties` without the channel, token and uids: vendors with their keys, turn detection, parameters… */
    settings: AgentSettings.default({}),
    allow: Allow.default({ greeting: false, variables: false, remoteUids: false, idleTimeoutSeconds: false, labels: false }),
  })
  .superRefine((profile, context) => {
    const problem = (path: (string | number)[], message: string) => context.addIssue({ code: 'custom', path, message });
    if (profile.pipelineId !== undefined && profile.preset !== undefined) problem(['preset'], 'cannot be set with pipelineId: choose one');
    for (const [key, why] of Object.entries(SERVER_KEYS)) if (key in profile.settings) problem(['settings', key], why);
    for (const missing of missingModels(profile, profile.settings)) problem(['settings', ...missing.path], missing.message);
    const stringUids = profile.settings.enable_string_uid === true;
    profile.remoteUids?.forEach((uid, index) => {
      if (!stringUids && !/^\d+$/.test(uid))
        problem(['remoteUids', index], 'must be a number in a string unless settings.enable_string_uid is true');
    });
  });

/** A validated profile. Its `settings` hold vendor keys: it never leaves the server but as a join body. */
export type AgentProfile = z.output<typeof Profile> & { readonly name: string };
export type AgentProfiles = ReadonlyMap<string, AgentProfile>;

const ProfilesFile = z.strictObject({ profiles: z.record(ProfileName, Profile) });

/** The embedded default's profile: Agora's own ASR and placeholder vendors, no key anywhere, a host that never resolves. */
const EMBEDDED_DEFAULT = {
  description: 'Offline demo agent for the embedded emulator: no vendor keys, nothing leaves the machine.',
  settings: {
    idle_timeout: 30,
    asr: { vendor: 'ares', language: 'en-US' },
    llm: {
      url: 'https://llm.emulator.invalid/v1/chat/completions',
      system_messages: [{ role: 'system', content: 'You are a friendly voice assistant. Answer in one or two short sentences.' }],
      params: { model: 'emulated' },
      greeting_message: 'Hello! I am the offline demo agent. Say something and I will answer.',
      failure_message: 'Sorry, I could not think of an answer.',
    },
    tts: { vendor: 'microsoft', params: { voice_name: 'en-US-AndrewMultilingualNeural' } },
  },
  allow: { greeting: true, variables: true, remoteUids: true, idleTimeoutSeconds: true, labels: true },
};

export type AgentProfilesResult = { ok: true; profiles: AgentProfiles } | { ok: false; errors: string[] };

export interface AgentProfileSource {
  /** AGENT_PROFILES_FILE: a JSON file's path. */
  file?: string | undefined;
  /** AGENT_PROFILES: the same JSON inline. */
  inline?: string | undefined;
}

/** JSON.parse's own message quotes the text around the mistake, which may be a key: only its position is kept. */
function parseJson(text: string, where: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    return { ok: false, error: `${where}: is not valid JSON${position === undefined ? '' : ` (at character ${position})`}` };
  }
}

/** A record's bad key says only "Invalid key in record": its own rule's message says which. */
const issueMessage = (issue: z.core.$ZodIssue): string =>
  issue.code === 'invalid_key' ? issue.issues.map((inner) => inner.message).join('; ') : issue.message;

/** Makes a profile (and its settings alone) print, log and serialise as its safe view, and freezes it. */
function sealed(name: string, profile: z.output<typeof Profile>): AgentProfile {
  const sealedProfile: AgentProfile = { ...profile, name };
  const hide = (target: object, view: () => unknown) => {
    Object.defineProperty(target, 'toJSON', { value: view, enumerable: false });
    Object.defineProperty(target, inspect.custom, { value: view, enumerable: false });
  };
  hide(sealedProfile, () => redactProfile(sealedProfile));
  hide(sealedProfile.settings, () => '[vendor settings]');
  return Object.freeze(sealedProfile);
}

/**
 * Reads the agent profiles. `embedded`: the server runs on the built-in emulator, where the
 * `default` profile exists unless the file defines its own. On failure every problem is listed,
 * as `<setting>: <path>: <rule>`, and never a value.
 */
export function parseAgentProfiles(
  source: AgentProfileSource,
  options: { embedded: boolean; readFile?: (path: string) => string },
): AgentProfilesResult {
  const readFile = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  if (source.file !== undefined && source.inline !== undefined)
    return { ok: false, errors: ['AGENT_PROFILES_FILE and AGENT_PROFILES: set one of them, not both'] };
  let where = 'AGENT_PROFILES';
  let text: string | undefined = source.inline;
  if (source.file !== undefined) {
    where = `AGENT_PROFILES_FILE (${source.file})`;
    try {
      text = readFile(source.file);
    } catch (error) {
      const code =
        typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : 'unreadable';
      return { ok: false, errors: [`${where}: cannot read the file (${code})`] };
    }
  }
  const profiles = new Map<string, AgentProfile>();
  if (options.embedded) profiles.set(DEFAULT_PROFILE, sealed(DEFAULT_PROFILE, Profile.parse(EMBEDDED_DEFAULT)));
  if (text === undefined) return { ok: true, profiles };
  const json = parseJson(text, where);
  if (!json.ok) return { ok: false, errors: [json.error] };
  const parsed = ProfilesFile.safeParse(json.value);
  if (!parsed.success) {
    // Every rule carries its own message (zod's defaults name types, never values).
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => `${where}: ${issue.path.map(String).join('.') || '(top level)'}: ${issueMessage(issue)}`),
    };
  }
  for (const [name, profile] of Object.entries(parsed.data.profiles)) profiles.set(name, sealed(name, profile));
  return { ok: true, profiles };
}

/** The profile a caller names, or the default one; a VALIDATION error naming the choices otherwise. */
export function chooseProfile(profiles: AgentProfiles, name: string | undefined): AgentProfile {
  const chosen = profiles.get(name ?? DEFAULT_PROFILE);
  if (chosen) return chosen;
  const names = [...profiles.keys()].sort().join(', ') || 'none are configured (AGENT_PROFILES_FILE)';
  throw new AppError(
    'VALIDATION',
    name === undefined ? `no default agent profile: name one of: ${names}` : `no agent profile named '${name}': profiles: ${names}`,
  );
}

/** What a caller may ask for when starting an agent; each only where the profile allows it. */
export interface AgentOverrides {
  greeting?: string | undefined;
  variables?: Readonly<Record<string, string>> | undefined;
  remoteUids?: readonly string[] | undefined;
  idleTimeoutSeconds?: number | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
}

/** What the server decides for each agent. */
export interface AgentJoinTarget {
  channel: string;
  /** The agent's uid, picked by the server. */
  agentUid: string;
  /** Built with RTC and RTM privileges for that uid and channel. */
  token: string;
  /** Our id for the agent, sent as Agora's unique `name`. */
  name: string;
  /** The server's own labels, echoed in Agora's notices; they win over a caller's. */
  labels?: Readonly<Record<string, string>> | undefined;
}

/** Every override the profile does not allow, named; an empty list when all are allowed. */
function refusedOverrides(profile: AgentProfile, overrides: AgentOverrides): string[] {
  const { allow } = profile;
  const refused: string[] = [];
  if (overrides.greeting !== undefined && !allow.greeting) refused.push('greeting');
  if (overrides.remoteUids !== undefined && !allow.remoteUids) refused.push('remoteUids');
  if (overrides.labels !== undefined && !allow.labels) refused.push('labels');
  for (const variable of Object.keys(overrides.variables ?? {})) {
    if (allow.variables !== true && !(Array.isArray(allow.variables) && allow.variables.includes(variable)))
      refused.push(`variables.${variable}`);
  }
  const idle = overrides.idleTimeoutSeconds;
  if (idle !== undefined) {
    const bounds =
      allow.idleTimeoutSeconds === true
        ? { min: 0, max: MAX_IDLE_SECONDS }
        : allow.idleTimeoutSeconds === false
          ? undefined
          : allow.idleTimeoutSeconds;
    if (!bounds) refused.push('idleTimeoutSeconds');
    else if (!Number.isInteger(idle) || idle < bounds.min || idle > bounds.max)
      refused.push(`idleTimeoutSeconds (from ${bounds.min} to ${bounds.max} here)`);
  }
  return refused;
}

/**
 * Agora's join body for one agent: the profile's settings (vendor keys included), what the caller
 * was allowed to set, and the server's channel, uid, token and name. Throws a VALIDATION AppError
 * naming every override the profile does not allow, or when no remote uid is known.
 */
export function buildAgentJoinBody(profile: AgentProfile, overrides: AgentOverrides, target: AgentJoinTarget): AgentJoinRequest {
  const refused = refusedOverrides(profile, overrides);
  if (refused.length > 0)
    throw new AppError('VALIDATION', `agent profile '${profile.name}' does not let callers set: ${refused.join(', ')}`);
  const remoteUids = overrides.remoteUids ?? profile.remoteUids;
  if (!remoteUids || remoteUids.length === 0)
    throw new AppError('VALIDATION', `agent profile '${profile.name}' names no remote uid: give remoteUids`);
  if (overrides.remoteUids && overrides.remoteUids.length > 1)
    throw new AppError('VALIDATION', 'remoteUids: Agora subscribes an agent to one user at present');
  // A copy: the profile is shared by every agent, and the body is the agent's own.
  const settings = structuredClone(profile.settings);
  const multimodal = settings.mllm?.enable === true || settings.advanced_features?.enable_mllm === true;
  if (overrides.greeting !== undefined) {
    if (multimodal && settings.mllm) settings.mllm.greeting_message = overrides.greeting;
    else settings.llm = { ...settings.llm, greeting_message: overrides.greeting };
  }
  if (overrides.variables !== undefined) {
    settings.llm = { ...settings.llm, template_variables: { ...settings.llm?.template_variables, ...overrides.variables } };
  }
  const labels = { ...settings.labels, ...overrides.labels, ...target.labels };
  return {
    name: target.name,
    ...(profile.pipelineId === undefined ? {} : { pipeline_id: profile.pipelineId }),
    ...(profile.preset === undefined ? {} : { preset: profile.preset }),
    properties: {
      ...settings,
      channel: target.channel,
      token: target.token,
      agent_rtc_uid: target.agentUid,
      remote_rtc_uids: [...remoteUids],
      ...(overrides.idleTimeoutSeconds === undefined ? {} : { idle_timeout: overrides.idleTimeoutSeconds }),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    },
  };
}

/** What anyone but Agora may see of a profile: names, vendors and what callers may set, never a key, URL, header or vendor param. */
export interface SafeAgentProfile {
  name: string;
  description: string | undefined;
  /** Where the agent's models come from. */
  kind: 'pipeline' | 'preset' | 'multimodal' | 'cascade';
  pipelineId: string | undefined;
  preset: string | undefined;
  vendors: { asr?: string; llm?: string; tts?: string; mllm?: string; avatar?: string };
  /** `llm.params.model` (or the multimodal one) when it is a plain string. */
  model: string | undefined;
  language: string | undefined;
  greeting: string | undefined;
  idleTimeoutSeconds: number | undefined;
  allow: {
    greeting: boolean;
    variables: boolean | string[];
    remoteUids: boolean;
    idleTimeoutSeconds: boolean | { min: number; max: number };
    labels: boolean;
  };
}

const vendorOf = (settings: { vendor?: unknown; credential_mode?: unknown } | undefined, fallback?: string) =>
  typeof settings?.vendor === 'string' ? settings.vendor : settings && fallback !== undefined ? fallback : undefined;

/** The safe view of a profile (allow-listed fields only). */
export function redactProfile(profile: AgentProfile): SafeAgentProfile {
  const { settings } = profile;
  const multimodal = settings.mllm?.enable === true || settings.advanced_features?.enable_mllm === true;
  const model = (multimodal ? settings.mllm?.params : settings.llm?.params)?.model;
  const vendors: SafeAgentProfile['vendors'] = {};
  const entries: [keyof SafeAgentProfile['vendors'], string | undefined][] = [
    ['asr', vendorOf(settings.asr, 'ares')],
    ['llm', vendorOf(settings.llm, settings.llm?.credential_mode === 'managed' ? 'managed' : 'openai-compatible')],
    ['tts', vendorOf(settings.tts)],
    ['mllm', vendorOf(settings.mllm)],
    ['avatar', vendorOf(settings.avatar)],
  ];
  for (const [kind, vendor] of entries) if (vendor !== undefined) vendors[kind] = vendor;
  return {
    name: profile.name,
    description: profile.description,
    kind: profile.pipelineId !== undefined ? 'pipeline' : profile.preset !== undefined ? 'preset' : multimodal ? 'multimodal' : 'cascade',
    pipelineId: profile.pipelineId,
    preset: profile.preset,
    vendors,
    model: typeof model === 'string' ? model : undefined,
    language: settings.asr?.language,
    greeting: multimodal ? settings.mllm?.greeting_message : settings.llm?.greeting_message,
    idleTimeoutSeconds: settings.idle_timeout,
    allow: { ...profile.allow, variables: Array.isArray(profile.allow.variables) ? [...profile.allow.variables] : profile.allow.variables },
  };
}

/**
 * Every string of the profiles that may be a credential (vendor keys, header values, URLs with a
 * query): for a logger's or an error's last-line scrubbing.
 */
export function profileSecrets(profiles: AgentProfiles): string[] {
  const found = new Set<string>();
  for (const profile of profiles.values()) secretsIn(profile.settings, false, found);
  return [...found];
}
