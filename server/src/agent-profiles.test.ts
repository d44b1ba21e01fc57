import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildAgentJoinBody,
  chooseProfile,
  parseAgentProfiles,
  profileSecrets,
  redactProfile,
  type AgentProfiles,
} from './agent-profiles.js';
import { AgentJoinBody } from './agora/conversational-ai-types.js';
import { AppError } from './errors.js';
import { captureLogs } from './testing/agora-client.js';

const LLM_KEY = 'sk-proj-LLMSECRET-aaaaaaaaaaaa';
const TTS_KEY = 'eleven-TTSSECRET-bbbbbbbbbb';
const ASR_KEY = 'dg-ASRSECRET-cccccccccccc';
const MLLM_KEY = 'sk-realtime-MLLMSECRET-dddd';
const HEADER_KEY = 'Bearer HEADERSECRET-eeee';
const MCP_KEY = 'mcp-MCPSECRET-ffff';
const SECRETS = [LLM_KEY, TTS_KEY, ASR_KEY, MLLM_KEY, HEADER_KEY, MCP_KEY];

const FILE = {
  profiles: {
    support: {
      description: 'Support desk, English',
      remoteUids: ['1001'],
      settings: {
        idle_timeout: 120,
        labels: { team: 'support' },
        asr: { vendor: 'deepgram', language: 'en-US', params: { key: ASR_KEY, model: 'nova-3' } },
        llm: {
          url: 'https://api.openai.com/v1/chat/completions',
          api_key: LLM_KEY,
          system_messages: [{ role: 'system', content: 'You help {{customer}} with {{topic}}.' }],
          params: { model: 'gpt-4o-mini', max_tokens: 512 },
          template_variables: { customer: 'a customer', topic: 'billing' },
          greeting_message: 'Hi, how can I help?',
          headers: { Authorization: HEADER_KEY },
          mcp_servers: [{ name: 'crm', endpoint: 'https://crm.example/mcp', headers: { 'X-Key': MCP_KEY } }],
        },
        tts: { vendor: 'elevenlabs', params: { key: TTS_KEY, voice_id: 'v1', model_id: 'eleven_flash_v2_5' } },
      },
      allow: { greeting: true, variables: ['customer'], remoteUids: true, idleTimeoutSeconds: { min: 30, max: 600 }, labels: true },
    },
    studio: { pipelineId: 'pipe_7f3a', allow: { remoteUids: true } },
    realtime: {
      settings: {
        mllm: {
          enable: true,
          vendor: 'openai',
          api_key: MLLM_KEY,
          params: { model: 'gpt-4o-realtime-preview', voice: 'alloy' },
          greeting_message: 'Hey!',
        },
      },
      allow: { greeting: true, remoteUids: true },
    },
    managed: {
      settings: {
        llm: { credential_mode: 'managed', params: { model: 'gpt-5-mini' } },
        tts: { vendor: 'minimax', credential_mode: 'managed' },
      },
      allow: { remoteUids: true },
    },
  },
};

const temp = mkdtempSync(join(tmpdir(), 'agent-profiles-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function load(file: unknown = FILE, embedded = false): AgentProfiles {
  const result = parseAgentProfiles({ inline: JSON.stringify(file) }, { embedded });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.profiles;
}

const target = { channel: 'room1', agentUid: '4100000007', token: '007eJxAGENTTOKEN', name: 'agt_01J0' };

describe('reading profiles', () => {
  it('has a keyless default profile on the embedded default, and none otherwise', () => {
    const embedded = parseAgentProfiles({}, { embedded: true });
    expect(embedded.ok && [...embedded.profiles.keys()]).toEqual(['default']);
    const real = parseAgentProfiles({}, { embedded: false });
    expect(real.ok && real.profiles.size).toBe(0);
    if (!real.ok || !embedded.ok) return;
    expect(() => chooseProfile(real.profiles, undefined)).toThrow(/no default agent profile: name one of: none are configured/);
    // With no profile named, the default one; its join body is one Agora accepts, without a key.
    const body = buildAgentJoinBody(chooseProfile(embedded.profiles, undefined), { remoteUids: ['1001'], greeting: 'Hi!' }, target);
    expect(AgentJoinBody.safeParse(body).success).toBe(true);
    expect(body.properties.llm).toMatchObject({ greeting_message: 'Hi!' });
    expect(body.properties.llm?.api_key).toBeUndefined();
  });

  it('reads a file named by AGENT_PROFILES_FILE, adding the default on the embedded default unless the file has one', () => {
    const path = join(temp, 'profiles.json');
    writeFileSync(path, JSON.stringify(FILE));
    const result = parseAgentProfiles({ file: path }, { embedded: true });
    expect(result.ok && [...result.profiles.keys()].sort()).toEqual(['default', 'managed', 'realtime', 'studio', 'support']);
    writeFileSync(path, JSON.stringify({ profiles: { default: FILE.profiles.studio } }));
    const own = parseAgentProfiles({ file: path }, { embedded: true });
    expect(own.ok && own.profiles.get('default')?.pipelineId).toBe('pipe_7f3a');
  });

  it('reads the example in docs/agents.md as it stands', () => {
    const page = readFileSync(new URL('../../docs/agents.md', import.meta.url), 'utf8');
    const example = /```json\n([\s\S]*?)\n```/.exec(page)?.[1];
    const result = parseAgentProfiles({ inline: example }, { embedded: false });
    expect(result.ok ? [...result.profiles.keys()] : result.errors).toEqual(['support', 'studio', 'realtime', 'managed']);
  });

  it('lists every problem, with its path and the rule, never a value', () => {
    const result = parseAgentProfiles(
      {
        inline: JSON.stringify({
          profiles: {
            'bad name!': { pipelineId: 'p' },
            typo: { pipelineID: LLM_KEY, settings: { tts: { vendor: 'murf', params: { key: TTS_KEY } } } },
            nomodels: { settings: { asr: { vendor: 'ares' } } },
            serverkeys: { pipelineId: 'p', preset: 'x', settings: { token: LLM_KEY, channel: 'c' }, remoteUids: ['alice'] },
            badallow: {
              pipelineId: 'p',
              allow: { greeting: 'yes', variables: ['ok', 'not ok'], idleTimeoutSeconds: { min: 60, max: 30 } },
            },
            badvendor: {
              settings: { llm: { url: 'https://x', api_key: LLM_KEY }, tts: { vendor: 'openai', params: {} }, idle_timeout: -1 },
            },
          },
        }),
      },
      { embedded: false },
    );
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    for (const expected of [
      /^AGENT_PROFILES: profiles\.bad name!: must be 1 to 64 letters/,
      /^AGENT_PROFILES: profiles\.typo: Unrecognized key: "pipelineID"/,
      /^AGENT_PROFILES: profiles\.typo\.settings\.tts\.vendor: must be one of amazon, /,
      /^AGENT_PROFILES: profiles\.nomodels\.settings\.llm: is required without a pipeline/,
      /^AGENT_PROFILES: profiles\.nomodels\.settings\.tts: is required without a pipeline/,
      /^AGENT_PROFILES: profiles\.serverkeys\.preset: cannot be set with pipelineId/,
      /^AGENT_PROFILES: profiles\.serverkeys\.settings\.token: is built by the server/,
      /^AGENT_PROFILES: profiles\.serverkeys\.settings\.channel: is the caller's channel/,
      /^AGENT_PROFILES: profiles\.serverkeys\.remoteUids\.0: must be a number in a string/,
      /^AGENT_PROFILES: profiles\.badallow\.allow\.greeting: /,
      /^AGENT_PROFILES: profiles\.badallow\.allow\.variables\.1: must be a template variable name/,
      /^AGENT_PROFILES: profiles\.badallow\.allow\.idleTimeoutSeconds/,
      /^AGENT_PROFILES: profiles\.badvendor\.settings\.idle_timeout: must be a whole number from 0 to 259200/,
    ]) {
      expect(
        errors.some((error) => expected.test(error)),
        `${String(expected)} in\n${errors.join('\n')}`,
      ).toBe(true);
    }
    const all = errors.join('\n');
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });

  it('says where JSON is broken without quoting the text around it', () => {
    const result = parseAgentProfiles(
      { inline: `{"profiles": {"a": {"settings": {"llm": {"api_key": ${LLM_KEY}}}}}}` },
      { embedded: false },
    );
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^AGENT_PROFILES: is not valid JSON/);
    expect(errors.join()).not.toContain('LLMSECRET');
  });

  it('refuses both sources at once, and names a file it cannot read', () => {
    expect(parseAgentProfiles({ file: 'a.json', inline: '{}' }, { embedded: true })).toEqual({
      ok: false,
      errors: ['AGENT_PROFILES_FILE and AGENT_PROFILES: set one of them, not both'],
    });
    const missing = join(temp, 'missing.json');
    expect(parseAgentProfiles({ file: missing }, { embedded: true })).toEqual({
      ok: false,
      errors: [`AGENT_PROFILES_FILE (${missing}): cannot read the file (ENOENT)`],
    });
  });
});

describe('the join body', () => {
  it("puts the profile's settings, the caller's allowed choices and the server's channel, uid, token and name together", () => {
    const profile = chooseProfile(load(), 'support');
    const body = buildAgentJoinBody(
      profile,
      {
        greeting: 'Hello Ana',
        variables: { customer: 'Ana' },
        remoteUids: ['2002'],
        idleTimeoutSeconds: 60,
        labels: { ticket: 'T-9', team: 'sales' },
      },
      { ...target, labels: { agentId: 'agt_01J0', team: 'ours' } },
    );
    expect(body.name).toBe('agt_01J0');
    expect(body.properties).toMatchObject({
      channel: 'room1',
      token: '007eJxAGENTTOKEN',
      agent_rtc_uid: '4100000007',
      remote_rtc_uids: ['2002'],
      idle_timeout: 60,
      labels: { team: 'ours', ticket: 'T-9', agentId: 'agt_01J0' },
      asr: { vendor: 'deepgram', params: { key: ASR_KEY, model: 'nova-3' } },
      llm: {
        api_key: LLM_KEY,
        greeting_message: 'Hello Ana',
        template_variables: { customer: 'Ana', topic: 'billing' },
        headers: { Authorization: HEADER_KEY },
      },
      tts: { vendor: 'elevenlabs', params: { key: TTS_KEY, voice_id: 'v1', model_id: 'eleven_flash_v2_5' } },
    });
    expect(AgentJoinBody.safeParse(body).success).toBe(true);
    // The profile is shared: one agent's choices never reach the next agent's body.
    const next = buildAgentJoinBody(profile, {}, target);
    expect(next.properties).toMatchObject({ remote_rtc_uids: ['1001'], idle_timeout: 120, labels: { team: 'support' } });
    expect(next.properties.llm).toMatchObject({ greeting_message: 'Hi, how can I help?', template_variables: { customer: 'a customer' } });
    // The body is plain data: serialised for Agora it keeps every key.
    expect(JSON.stringify(body)).toContain(LLM_KEY);
  });

  it('sends the pipeline id, and the greeting of a multimodal profile to its model', () => {
    const profiles = load();
    expect(buildAgentJoinBody(chooseProfile(profiles, 'studio'), { remoteUids: ['5'] }, target)).toEqual({
      name: 'agt_01J0',
      pipeline_id: 'pipe_7f3a',
      properties: { channel: 'room1', token: '007eJxAGENTTOKEN', agent_rtc_uid: '4100000007', remote_rtc_uids: ['5'] },
    });
    const realtime = buildAgentJoinBody(chooseProfile(profiles, 'realtime'), { remoteUids: ['5'], greeting: 'Yo' }, target);
    expect(realtime.properties.mllm).toMatchObject({ greeting_message: 'Yo', api_key: MLLM_KEY });
    expect(realtime.properties.llm).toBeUndefined();
  });

  it('names every choice the profile does not allow, and no secret', () => {
    const profiles = load();
    const refused = (name: string, overrides: Parameters<typeof buildAgentJoinBody>[1]) => {
      try {
        buildAgentJoinBody(chooseProfile(profiles, name), overrides, target);
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        expect(error).toMatchObject({ appCode: 'VALIDATION' });
        return (error as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refused('studio', { greeting: 'x', labels: { a: 'b' }, idleTimeoutSeconds: 10, variables: { v: '1' }, remoteUids: ['1'] })).toBe(
      "agent profile 'studio' does not let callers set: greeting, labels, variables.v, idleTimeoutSeconds",
    );
    expect(refused('support', { variables: { topic: 'x' }, idleTimeoutSeconds: 601 })).toBe(
      "agent profile 'support' does not let callers set: variables.topic, idleTimeoutSeconds (from 30 to 600 here)",
    );
    expect(refused('studio', {})).toBe("agent profile 'studio' names no remote uid: give remoteUids");
    expect(refused('support', { remoteUids: ['1', '2'] })).toMatch(/one user/);
    expect(() => chooseProfile(profiles, 'nope')).toThrow("no agent profile named 'nope': profiles: managed, realtime, studio, support");
  });
});

describe('keys stay on the server', () => {
  it('the safe view names vendors and choices, and holds no key, URL, header or vendor param', () => {
    const profiles = load();
    const support = redactProfile(chooseProfile(profiles, 'support'));
    expect(support).toEqual({
      name: 'support',
      description: 'Support desk, English',
      kind: 'cascade',
      pipelineId: undefined,
      preset: undefined,
      vendors: { asr: 'deepgram', llm: 'openai-compatible', tts: 'elevenlabs' },
      model: 'gpt-4o-mini',
      language: 'en-US',
      greeting: 'Hi, how can I help?',
      idleTimeoutSeconds: 120,
      allow: { greeting: true, variables: ['customer'], remoteUids: true, idleTimeoutSeconds: { min: 30, max: 600 }, labels: true },
    });
    expect(redactProfile(chooseProfile(profiles, 'realtime'))).toMatchObject({
      kind: 'multimodal',
      vendors: { mllm: 'openai' },
      model: 'gpt-4o-realtime-preview',
      greeting: 'Hey!',
    });
    expect(redactProfile(chooseProfile(profiles, 'studio'))).toMatchObject({ kind: 'pipeline', pipelineId: 'pipe_7f3a', vendors: {} });
    const views = [...profiles.values()].map((profile) => JSON.stringify(redactProfile(profile))).join('\n');
    for (const secret of [...SECRETS, 'api.openai.com', 'crm.example']) expect(views).not.toContain(secret);
  });

  it('a profile logged, printed or serialised by mistake shows only the safe view', () => {
    const profiles = load();
    const profile = chooseProfile(profiles, 'support');
    const { logger, lines } = captureLogs();
    logger.info({ profile, settings: profile.settings, profiles: [...profiles.values()] }, 'starting an agent');
    const everything = [
      ...lines,
      JSON.stringify(profile),
      JSON.stringify({ profile }),
      inspect(profile, { depth: 20 }),
      inspect({ settings: profile.settings }, { depth: 20 }),
      inspect(profiles, { depth: 20 }),
      JSON.stringify([...profiles.values()]),
    ].join('\n');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
    expect(lines.join()).toContain('"kind":"cascade"');
  });

  it('lists the secrets of every profile, for scrubbing', () => {
    const secrets = profileSecrets(load());
    for (const secret of SECRETS) expect(secrets).toContain(secret);
    expect(secrets).not.toContain('gpt-4o-mini');
  });
});
