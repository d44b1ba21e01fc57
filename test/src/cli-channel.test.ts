import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runEntryPoint } from './helpers/process.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

/** `agoractl channel …` against the real server and the emulator's channel management. */

let stack: RecordingStack;
let env: Record<string, string>;
beforeAll(async () => {
  stack = await startRecordingStack();
  env = { AGORACTL_URL: stack.app.url };
});
afterAll(() => stack.close(true));

const rows = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => line.split('\t'));

describe('agoractl channel', { timeout: 120_000 }, () => {
  it('lists channels, shows who is in one, kicks with a ban, lists bans, updates and lifts one', async () => {
    const { control } = stack.emulator;
    control.join('cli-chan', '301', { role: 'host', platform: 7 });
    control.join('cli-chan', '302', { role: 'audience', platform: 2 });

    const list = await runCli(['channel', 'list'], env);
    expect([list.code, list.stderr]).toEqual([0, '']);
    expect(rows(list.stdout)).toContainEqual(['cli-chan', '2']);

    const users = await runCli(['channel', 'users', 'cli-chan'], env);
    expect([users.code, users.stderr]).toEqual([0, '']);
    const joined = (uid: string) =>
      new Date(Math.floor(control.channel('cli-chan').users.find((u) => u.uid === uid)!.joinedAt / 1000) * 1000);
    expect(rows(users.stdout)).toEqual([
      ['301', 'host', 'web', joined('301').toISOString()],
      ['302', 'audience', 'ios', joined('302').toISOString()],
    ]);

    const kicked = await runCli(['channel', 'kick', 'cli-chan', '302', '--ban-seconds', '120', '--reason', 'spam', '--json'], env);
    expect(kicked.code, kicked.stderr).toBe(0);
    const ban = JSON.parse(kicked.stdout) as { id: number; channel: string; uid: number; privileges: string[]; reason: string };
    expect(ban).toMatchObject({ channel: 'cli-chan', uid: 302, privileges: ['join_channel'], reason: 'spam' });
    expect(control.channel('cli-chan').users.map((user) => user.uid)).toEqual(['301']);
    expect(control.join('cli-chan', '302')).toMatchObject({ ok: false, status: 403 });
    const rule = control.banRules().find((item) => item.id === ban.id)!;
    expect(rule.expiresAt - rule.createdAt).toBe(120_000);

    const bans = await runCli(['channel', 'bans'], env);
    expect(bans.code).toBe(0);
    expect(rows(bans.stdout)).toEqual([
      [
        String(ban.id),
        'channel=cli-chan uid=302',
        'join_channel',
        `until ${new Date(rule.expiresAt).toISOString().replace(/\.\d{3}Z$/, '.000Z')}`,
        'by local',
        '(spam)',
      ],
    ]);

    const banned = await runCli(
      ['channel', 'ban', '--channel', 'cli-chan', '--uid', '301', '--privileges', 'publishAudio,publishVideo', '--seconds', '600'],
      env,
    );
    expect(banned.code, banned.stderr).toBe(0);
    const [banId, target, privileges] = rows(banned.stdout)[0]!;
    expect([target, privileges]).toEqual(['channel=cli-chan uid=301', 'publish_audio,publish_video']);
    expect(control.banRules().map((item) => String(item.id))).toContain(banId);

    const updated = await runCli(['channel', 'update-ban', banId!, '--seconds', '30'], env);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toMatch(new RegExp(`^${banId}\\tuntil \\d{4}-`));

    const lifted = await runCli(['channel', 'unban', String(ban.id)], env);
    expect([lifted.code, lifted.stdout]).toEqual([0, `${ban.id}\tremoved\n`]);
    expect(control.join('cli-chan', '302')).toEqual({ ok: true });
    const again = await runCli(['channel', 'unban', String(ban.id)], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^agoractl: no ban rule \d+/);
  });

  it('refuses what Agora would clamp, names the field, exits 1, and calls Agora for none of it', async () => {
    const { control } = stack.emulator;
    control.join('cli-bad', '401');
    const before = control.requestCounts().banCreate ?? 0;
    const tooLong = await runCli(['channel', 'kick', 'cli-bad', '401', '--ban-seconds', '86431'], env);
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('banSeconds: must be 0 (remove now, no ban) or a whole number from 10 to 86430');
    const tooShort = await runCli(['channel', 'ban', '--channel', 'cli-bad', '--seconds', '5'], env);
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toContain('seconds: must be 0');
    const noSeconds = await runCli(['channel', 'ban', '--channel', 'cli-bad'], env);
    expect(noSeconds.code).toBe(1);
    expect(noSeconds.stderr).toContain('channel ban needs --seconds');
    const badPrivilege = await runCli(['channel', 'ban', '--channel', 'cli-bad', '--seconds', '60', '--privileges', 'speak'], env);
    expect(badPrivilege.code).toBe(1);
    expect(badPrivilege.stderr).toContain('--privileges takes join, publishAudio, publishVideo');
    const noUid = await runCli(['channel', 'kick', 'cli-bad'], env);
    expect(noUid.code).toBe(1);
    expect(noUid.stderr).toContain('channel kick needs a channel and a uid');
    const bogus = await runCli(['channel', 'shout'], env);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain('unknown channel action "shout"');
    expect(control.requestCounts().banCreate ?? 0).toBe(before);

    // Someone who is not there is not kicked, and no ban is made.
    const absent = await runCli(['channel', 'kick', 'cli-bad', '499'], env);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toBe(
      'agoractl: uid 499 is not in channel "cli-bad": nothing was done and no ban was made (channel.ban keeps someone out who is not there)\n',
    );
    expect(control.requestCounts().banCreate ?? 0).toBe(before);
  });

  it('shows the help, and a start in an empty channel warns on stderr with the answer on stdout', async () => {
    const help = await runCli(['channel', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('channel kick <channel> <uid> [--ban-seconds <n>]');
    expect(help.stdout).toContain('channel users <channel>');

    const started = await runCli(['start', '--channel', 'cli-nobody'], env);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/^[0-9a-f]+\t(starting|recording)\tchannel=cli-nobody /);
    expect(started.stderr).toBe(
      'agoractl: warning: nobody is publishing in channel "cli-nobody" yet: the recording writes nothing until someone does, and a stop before then ends with Agora\'s 435 (no recorded data) [CHANNEL_EMPTY]\n',
    );
    const json = await runCli(['transcribe', 'start', '--channel', 'cli-nobody-stt', '--languages', 'en-US', '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toBe('');
    expect((JSON.parse(json.stdout) as { warnings: { code: string }[] }).warnings).toEqual([
      expect.objectContaining({ code: 'CHANNEL_EMPTY' }),
    ]);
  });
});

describe('agoractl channel watch and sessions', { timeout: 120_000 }, () => {
  const SECRET = 'whsec-cli-watch';
  let live: RecordingStack;
  let liveEnv: Record<string, string>;
  beforeAll(async () => {
    live = await startRecordingStack({ webhookSecret: SECRET, emulator: { channelEvents: true } });
    live.emulator.control.setNotificationTarget({ url: `${live.app.baseUrl}/webhooks/agora`, secret: SECRET });
    liveEnv = { AGORACTL_URL: live.app.url };
  });
  afterAll(() => live.close(true));

  it('prints who is here, then each join and leave as it happens, and Ctrl-C ends it with 0', async () => {
    const { control } = live.emulator;
    control.join('cli-watch', '501', { role: 'host', platform: 7 });
    const watcher = runEntryPoint('client/src/cli.ts', liveEnv, ['channel', 'watch', 'cli-watch']);
    try {
      const fields = () => watcher.stdout.map((line) => line.split('\t').slice(1));
      await expect.poll(fields, { timeout: 60_000 }).toEqual([['here', '501:host']]);
      control.join('cli-watch', '502', { role: 'audience', platform: 2 });
      await expect.poll(() => fields().length, { timeout: 60_000 }).toBe(2);
      expect(control.leave('cli-watch', '501')).toBe(true);
      await expect.poll(() => fields().length, { timeout: 60_000 }).toBe(3);
      expect(fields().slice(1)).toEqual([
        ['join', '502', 'audience'],
        ['leave', '501', 'host', expect.any(String)],
      ]);
      for (const line of watcher.stdout) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z\t/);
    } finally {
      watcher.child.kill('SIGINT');
    }
    expect(await watcher.exited).toBe(0);
    expect(watcher.stderr.join('')).toBe('');

    const sessions = await runCli(['channel', 'sessions', 'cli-watch'], liveEnv);
    expect([sessions.code, sessions.stderr]).toEqual([0, '']);
    const lines = rows(sessions.stdout);
    expect(lines.map((line) => [line[0], line[1], line[3] === 'here'])).toEqual([
      ['502', 'audience', true],
      ['501', 'host', false],
      ['total', expect.stringMatching(/^\d+(h|m|s)/), false],
    ]);
    // --json: each event as one JSON line, the snapshot first.
    const json = runEntryPoint('client/src/cli.ts', liveEnv, ['channel', 'watch', 'cli-watch', '--json']);
    try {
      await expect.poll(() => json.stdout.length, { timeout: 60_000 }).toBe(1);
      const snapshot = JSON.parse(json.stdout[0]!) as { type: string; members: { uid: number; role: string }[] };
      expect([snapshot.type, snapshot.members.map((member) => [member.uid, member.role])]).toEqual(['snapshot', [[502, 'audience']]]);
    } finally {
      json.child.kill('SIGINT');
    }
    expect(await json.exited).toBe(0);

    const one = await runCli(['channel', 'sessions', 'cli-watch', '--uid', '501', '--json'], liveEnv);
    expect(one.code, one.stderr).toBe(0);
    const parsed = JSON.parse(one.stdout) as { items: { uid: number; leftAt: number | null; durationMs: number }[] };
    expect(parsed.items.map((item) => [item.uid, typeof item.leftAt])).toEqual([[501, 'number']]);
  });
});
