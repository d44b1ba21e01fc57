import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/process.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from './helpers/server.js';
import { readToken } from './helpers/token-verifier.js';

let stack: RecordingStack;
let env: Record<string, string>;
beforeAll(async () => {
  stack = await startRecordingStack();
  env = { AGORACTL_URL: stack.app.url };
});
afterAll(() => stack.close(true));

describe('agoractl', () => {
  it('prints a token, or JSON with --json', async () => {
    const plain = await runCli(['token', '--channel', 'room1', '--uid', '42'], env);
    expect(plain.code).toBe(0);
    expect(readToken(plain.stdout.trim(), TEST_APP_CERTIFICATE).services[0]!.fields).toEqual(['room1', '42']);
    const json = await runCli(['token', '--channel', 'room1', '--uid', '42', '--role', 'subscriber', '--expire', '600', '--json'], env);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { token: string; role: string; expiresAt: string };
    expect(parsed.role).toBe('subscriber');
    expect(readToken(parsed.token, TEST_APP_CERTIFICATE).expire).toBe(600);
  });

  it('transcribes: start with languages and translation, query, files, watch, stop; refuses a bad --translate', async () => {
    stack.emulator.control.join('cli-talk', '100');
    const started = await runCli(
      ['transcribe', 'start', '--channel', 'cli-talk', '--languages', 'en-US,es-ES', '--translate', 'en-US:fr-FR,de-DE', '--json'],
      env,
    );
    expect(started.code, started.stderr).toBe(0);
    const { id, agentId } = JSON.parse(started.stdout) as { id: string; agentId: string };
    expect(stack.emulator.control.agent(agentId)).toMatchObject({
      languages: ['en-US', 'es-ES'],
      translations: [{ source: 'en-US', target: ['fr-FR', 'de-DE'] }],
    });

    const query = await runCli(['transcribe', 'query', id], env);
    expect(query.stdout).toBe(`${id}\trunning\tagoraStatus=RUNNING\n`);
    stack.emulator.control.speak('cli-talk', { uid: '100', text: 'hola', durationMs: 500, language: 'es-ES' });
    await stack.emulator.control.flushStorage();
    const files = await runCli(['transcribe', 'files', id], env);
    expect(files.stdout).toContain(`playlist\t-\t${agentId}_cli-talk.m3u8`);
    expect(files.stdout).toContain(`playlist\tde-DE\tde-DE_${agentId}_cli-talk.m3u8`);

    const watching = runCli(['transcribe', 'watch', id], env);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const stop = await runCli(['transcribe', 'stop', id], env);
    expect(stop.stdout).toBe(`${id}\tstopped\n`);
    const watched = await watching;
    expect(watched.code).toBe(0);
    expect(
      watched.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[1]),
    ).toEqual(['running', 'stopping', 'stopped']);

    const bad = await runCli(['transcribe', 'start', '--channel', 'x', '--languages', 'en-US', '--translate', 'fr-FR'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--translate takes source:target');
    const refused = await runCli(['transcribe', 'start', '--channel', 'x', '--languages', 'english'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('languages.0');
  });

  it('starts, queries, lists, watches and stops a recording', async () => {
    stack.emulator.control.join('cli-room', '100');
    const started = await runCli(['start', '--channel', 'cli-room', '--json'], env);
    expect(started.code, started.stderr).toBe(0);
    // Piped: no spinner, nothing decorative.
    expect(started.stderr).toBe('');
    const { id } = JSON.parse(started.stdout) as { id: string };

    const query = await runCli(['query', id], env);
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(new RegExp(`^${id}\\trecording\\tagoraStatus=5 files=1`));

    const list = await runCli(['list', '--channel', 'cli-room'], env);
    expect(list.stdout).toContain(`${id}\trecording\tcli-room`);

    const watching = runCli(['watch', id], env);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const stop = await runCli(['stop', id], env);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`^${id}\\tstopped\\tupload=uploaded`));
    const watched = await watching;
    expect(watched.code).toBe(0);
    const states = watched.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t')[1]);
    expect(states.at(-1)).toBe('stopped');
    expect(states).toContain('stopping');
  });

  it('exits 1 on bad usage and bad input, naming the problem', async () => {
    const noChannel = await runCli(['start'], env);
    expect(noChannel.code).toBe(1);
    expect(noChannel.stderr).toContain('start needs --channel');
    const badChannel = await runCli(['start', '--channel', 'a/b'], env);
    expect(badChannel.code).toBe(1);
    expect(badChannel.stderr).toContain('channel: may contain only');
    const unknown = await runCli(['query', 'no-such-recording'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No such recording');
    const bogus = await runCli(['dance'], env);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain('unknown command "dance"');
  });

  it('exits 2 when the server cannot be reached', async () => {
    // A port nobody listens on (taken, then let go).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const url = `http://127.0.0.1:${port}/trpc`;
    const result = await runCli(['list', '--url', url]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `agoractl: cannot reach the server at ${url}: connect ECONNREFUSED 127.0.0.1:${port} (is it running? --url or AGORACTL_URL names another)\n`,
    );
  });

  it('shows Agora errors with exit 2', async () => {
    stack.emulator.control.injectFault({ endpoint: 'acquire', times: 1, status: 400, body: { code: 405, reason: 'no_active_status' } });
    const result = await runCli(['start', '--channel', 'room9'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[Agora 405: no_active_status]');
  });
});
