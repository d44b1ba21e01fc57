import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/process.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

/** `agoractl agent …` against the real server and the emulator's Conversational AI Engine. */

let stack: RecordingStack;
let env: Record<string, string>;
beforeAll(async () => {
  stack = await startRecordingStack({ confirmDelayMs: 50, pollIntervalMs: 200 });
  env = { AGORACTL_URL: stack.app.url };
});
afterAll(() => stack.close(true));

const fields = (stdout: string, index: number) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => line.split('\t')[index]);

describe('agoractl agent', { timeout: 120_000 }, () => {
  it('starts an agent from a profile, makes it speak, shows a user and its answer in history and watch, interrupts and stops it', async () => {
    stack.emulator.control.join('cli-agent', '100');
    const started = await runCli(['agent', 'start', '--channel', 'cli-agent', '--listen', '100', '--label', 'team=support', '--json'], env);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toBe('');
    const { id, agentId, uid, profile } = JSON.parse(started.stdout) as { id: string; agentId: string; uid: string; profile: string };
    expect(profile).toBe('default');
    expect(stack.emulator.control.convoAgent(agentId)).toMatchObject({ name: id, channel: 'cli-agent', uid });

    const watching = runCli(['agent', 'watch', id], env);
    const said = await runCli(['agent', 'say', id, 'Welcome', 'to', 'the', 'support', 'line.'], env);
    expect(said.code, said.stderr).toBe(0);
    expect(said.stdout).toMatch(new RegExp(`^${id}\\tsaid\\t\\d{4}-\\d\\d-\\d\\dT[^\\t]+Z\\n$`));
    expect(stack.emulator.control.speak('cli-agent', { uid: '100', text: 'what is the weather', durationMs: 500 })).toEqual([agentId]);

    const history = await runCli(['agent', 'history', id], env);
    expect(history.code, history.stderr).toBe(0);
    const lines = history.stdout.trim().split('\n');
    expect(lines.map((line) => line.split('\t')[0])).toEqual(lines.map((_, index) => String(index + 1)));
    const said3 = lines.map((line) => line.split('\t').slice(1));
    expect(said3).toContainEqual(['assistant', 'Welcome to the support line.']);
    expect(said3).toContainEqual(['user', 'what is the weather']);
    expect(said3.some(([role, content]) => role === 'assistant' && content!.includes('You said: what is the weather'))).toBe(true);

    const interrupted = await runCli(['agent', 'interrupt', id], env);
    expect(interrupted.code, interrupted.stderr).toBe(0);
    expect(interrupted.stdout).toMatch(new RegExp(`^${id}\\tinterrupted\\t`));
    expect(stack.emulator.control.requestCounts()).toMatchObject({ convoSpeak: 1, convoInterrupt: 1 });

    const stopped = await runCli(['agent', 'stop', id], env);
    expect([stopped.code, stopped.stdout]).toEqual([0, `${id}\tstopped\n`]);
    const again = await runCli(['agent', 'stop', id], env);
    expect([again.code, again.stdout]).toEqual([0, `${id}\tstopped (already)\n`]);

    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    const states = fields(watched.stdout, 1);
    expect(states[0]).toMatch(/^(starting|running)$/);
    expect(states).toContain('running');
    expect(states.at(-1)).toBe('stopped');
    // The conversation streamed as it grew: `<time> <state> <seq> <role> <content>`.
    const streamed = watched.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
      .filter((parts) => parts.length === 5)
      .map((parts) => [parts[3], parts[4]]);
    expect(streamed).toContainEqual(['user', 'what is the weather']);
    expect(streamed).toContainEqual(['assistant', 'Welcome to the support line.']);

    // Kept after the stop, whole.
    const after = await runCli(['agent', 'history', id, '--json'], env);
    expect(after.code).toBe(0);
    const kept = JSON.parse(after.stdout) as { state: string; messages: { role: string; content: string }[] };
    expect(kept.state).toBe('stopped');
    expect(kept.messages.length).toBe(lines.length);

    // An ended agent cannot speak: the server says so, exit 1.
    const late = await runCli(['agent', 'say', id, 'hello'], env);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^agoractl: .*(ended|stopped)/);
  });

  it('exits 1 on bad usage and bad input, naming the problem, before any call to Agora', async () => {
    const before = stack.emulator.control.requestCounts();
    const noChannel = await runCli(['agent', 'start'], env);
    expect(noChannel.code).toBe(1);
    expect(noChannel.stderr).toContain('agoractl: agent start needs --channel');
    const badVar = await runCli(['agent', 'start', '--channel', 'x', '--var', 'name'], env);
    expect(badVar.code).toBe(1);
    expect(badVar.stderr).toContain('--var takes name=value pairs separated by commas');
    const badIdle = await runCli(['agent', 'start', '--channel', 'x', '--max-idle', 'soon'], env);
    expect(badIdle.code).toBe(1);
    expect(badIdle.stderr).toContain('--max-idle must be a whole number');
    const unknownProfile = await runCli(['agent', 'start', '--channel', 'x', '--profile', 'nope'], env);
    expect(unknownProfile.code).toBe(1);
    expect(unknownProfile.stderr).toContain('nope');
    const badChannel = await runCli(['agent', 'start', '--channel', 'a/b'], env);
    expect(badChannel.code).toBe(1);
    expect(badChannel.stderr).toContain('channel: may contain only');
    const noId = await runCli(['agent', 'stop'], env);
    expect(noId.code).toBe(1);
    expect(noId.stderr).toContain('agent stop needs an agent id');
    const noText = await runCli(['agent', 'say', 'some-id'], env);
    expect(noText.code).toBe(1);
    expect(noText.stderr).toContain('agent say needs a text after the agent id');
    const tooLong = await runCli(['agent', 'say', 'some-id', 'é'.repeat(257)], env);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('the text is 514 bytes; Agora takes at most 512');
    const badPriority = await runCli(['agent', 'say', 'some-id', 'hi', '--priority', 'urgent'], env);
    expect(badPriority.code).toBe(1);
    expect(badPriority.stderr).toContain('--priority must be one of INTERRUPT, APPEND, IGNORE');
    const unknown = await runCli(['agent', 'history', 'no-such-agent'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('agoractl: No such agent\n');
    const unknownWatch = await runCli(['agent', 'watch', 'no-such-agent'], env);
    expect(unknownWatch.code).toBe(1);
    expect(unknownWatch.stderr).toBe('agoractl: No such agent\n');
    const bogus = await runCli(['agent', 'dance'], env);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain('unknown agent action "dance"');
    const after = stack.emulator.control.requestCounts();
    expect([after.convoJoin ?? 0, after.convoSpeak ?? 0]).toEqual([before.convoJoin ?? 0, before.convoSpeak ?? 0]);
  });

  it("shows Agora's refusal of a start with exit 2", async () => {
    stack.emulator.control.injectFault({
      endpoint: 'convoJoin',
      times: 1,
      status: 403,
      body: { detail: 'the project is not enabled', reason: 'Forbidden' },
    });
    const result = await runCli(['agent', 'start', '--channel', 'cli-refused', '--listen', '100'], env);
    expect(result.stderr).toContain('[Agora');
    expect(result.code).toBe(2);
  });
});
