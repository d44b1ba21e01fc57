import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createApiKeyAuth, hashApiKey } from '@agora-backend/server';
import { ARTIFACTS, prepareConsoleBrowser, runBrowserTests } from '../helpers/browser.js';
import { catchServerError } from '../helpers/errors.js';
import { startRecordingStack, type RecordingStack } from '../helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from '../helpers/server.js';
import { readToken } from '../helpers/token-verifier.js';

/**
 * The console at /console in real Chromium, used as a person uses it: forms, links, the player.
 * Screenshots of the main pages go to test/artifacts/ (look at them when the UI changes).
 */
const KEY = 'agk_console_key_0000000000000000000000';

let browser: Browser;
let consoleDir: string;
const cleanups: (() => Promise<void>)[] = [];

async function openConsole(stack: RecordingStack, query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  cleanups.push(() => page.close());
  await page.goto(`${stack.app.baseUrl}/console/${query}#/recordings`);
  return page;
}

async function startThroughTheForm(page: Page, channel: string): Promise<string> {
  const form = page.getByRole('form', { name: 'Start a recording' });
  await form.locator('input[name="channel"]').fill(channel);
  await form.getByLabel('also MP4').check();
  await form.getByRole('button', { name: 'Start' }).click();
  await page.waitForURL(/#\/recordings\/[0-9a-f]+$/);
  return decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
}

describe.skipIf(!runBrowserTests)('the console', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    ({ browser, consoleDir } = await prepareConsoleBrowser(cleanups));
  }, 60_000);
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  for (const transport of ['ws', 'sse'] as const) {
    it(`starts a recording, watches it record, plays its playlist and stops it (${transport})`, async () => {
      const stack = await startRecordingStack({ consoleDir, pollIntervalMs: 200, confirmDelayMs: 100 });
      cleanups.push(() => stack.close(true));
      const page = await openConsole(stack, transport === 'sse' ? '?transport=sse' : '');
      const channel = `console-${transport}`;
      // Someone publishes first: a start in an empty channel stops at the form with a warning (console-channels.test.ts).
      stack.emulator.control.join(channel, '100');
      const id = await startThroughTheForm(page, channel);
      await expect.poll(() => page.locator('#recording-state').textContent(), { timeout: 10_000 }).toBe('recording');
      // Agora's time moves on: segments are uploaded and the playlist appears in the page.
      await stack.agoraClock.advance(25_000);
      await page.locator('li[data-kind="playlist"]').first().waitFor({ timeout: 10_000 });
      await expect
        .poll(() => page.locator('#player').evaluate((video: HTMLVideoElement) => video.readyState), { timeout: 15_000 })
        .toBeGreaterThanOrEqual(1);
      expect(await page.locator('#player').evaluate((video: HTMLVideoElement) => video.duration)).toBeGreaterThan(0);
      if (transport === 'ws') await page.screenshot({ path: join(ARTIFACTS, 'console-recording.png'), fullPage: true });
      // Stop asks first; "No" keeps the recording running.
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page.getByRole('button', { name: 'No, keep it' }).click();
      expect(stack.emulator.control.requestCounts().stop ?? 0).toBe(0);
      await page.getByRole('button', { name: 'Stop', exact: true }).click();
      await page.getByRole('button', { name: 'Yes, stop the recording' }).click();
      await expect.poll(() => page.locator('#recording-state').textContent(), { timeout: 10_000 }).toBe('stopped');
      expect(await page.locator('.timeline li').last().getAttribute('data-state')).toBe('stopped');
      expect((await stack.client.recording.get.query({ id })).state).toBe('stopped');
      await page.goto(`${stack.app.baseUrl}/console/#/recordings`);
      await page.locator(`tr[data-recording="${id}"] .state`).filter({ hasText: 'stopped' }).waitFor();
      if (transport === 'ws') await page.screenshot({ path: join(ARTIFACTS, 'console-recordings.png'), fullPage: true });
    });
  }

  it('starts a transcription through its form, shows what is said as captions, and stops it', async () => {
    const stack = await startRecordingStack({ consoleDir, pollIntervalMs: 200, confirmDelayMs: 100 });
    cleanups.push(() => stack.close(true));
    const page = await openConsole(stack);
    stack.emulator.control.join('console-talk', '100');
    await page.getByRole('link', { name: 'Transcriptions' }).click();
    const form = page.getByRole('form', { name: 'Start a transcription' });
    await form.locator('input[name="channel"]').fill('console-talk');
    // A bad language is refused before anything is sent, next to its field.
    await form.getByLabel('Spoken languages').fill('english');
    await form.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => form.locator('[data-error-for="languages"]').textContent()).toBe('must be a locale code such as en-US');
    expect(stack.emulator.control.requestCounts().sttJoin ?? 0).toBe(0);
    await form.getByLabel('Spoken languages').fill('en-US');
    await form.getByLabel('Translate the first one into').fill('fr-FR');
    await form.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/#\/transcriptions\/[0-9a-f]+$/);
    const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
    await expect.poll(() => page.locator('#transcription-state').textContent(), { timeout: 10_000 }).toBe('running');
    const { agentId } = await stack.client.transcription.get.query({ id });
    expect(stack.emulator.control.agent(agentId!)).toMatchObject({ translations: [{ source: 'en-US', target: ['fr-FR'] }] });

    stack.emulator.control.speak('console-talk', { uid: '100', text: 'Welcome to the show', durationMs: 1_000 });
    await expect.poll(() => page.locator('.captions li').allTextContents(), { timeout: 10_000 }).toEqual(['100: Welcome to the show']);
    expect(await page.locator('li[data-kind="playlist"]').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'console-transcription.png'), fullPage: true });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, stop the transcription' }).click();
    await expect.poll(() => page.locator('#transcription-state').textContent(), { timeout: 10_000 }).toBe('stopped');
    expect(stack.emulator.control.agent(agentId!)).toMatchObject({ status: 'STOPPED', endReason: 'left' });
    await page.goto(`${stack.app.baseUrl}/console/#/transcriptions`);
    await page.locator(`tr[data-transcription="${id}"] .state`).filter({ hasText: 'stopped' }).waitFor();
  });

  it('starts an agent from a profile, shows it running, the transcript as a user speaks and it answers, makes it speak, interrupts and stops it', async () => {
    const stack = await startRecordingStack({ consoleDir, pollIntervalMs: 200, confirmDelayMs: 100 });
    cleanups.push(() => stack.close(true));
    const page = await openConsole(stack);
    await page.getByRole('link', { name: 'Agents' }).click();
    const form = page.getByRole('form', { name: 'Start an agent' });
    const profile = form.locator('select[name="profile"]');
    // The profile is chosen from agent.profiles' safe views: each option its name and what it is.
    await expect
      .poll(() => profile.locator('option').evaluateAll((options) => options.map((option) => option.textContent)))
      .toEqual([expect.stringMatching(/^default — ./)]);
    expect(await profile.inputValue()).toBe('default');
    // A uid that is no uid is refused before anything is sent, next to its field.
    await form.locator('input[name="channel"]').fill('console-agent');
    await form.getByLabel('Listen to uid').fill('nobody');
    await form.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => form.locator('[data-error-for="remoteUids"]').textContent()).not.toBe('');
    expect(stack.emulator.control.requestCounts().convoJoin ?? 0).toBe(0);
    await form.getByLabel('Listen to uid').fill('100');
    await form.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/#\/agents\/[^/]+$/);
    const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
    await expect.poll(() => page.locator('#agent-state').textContent(), { timeout: 10_000 }).toBe('running');
    const agent = await stack.client.agent.get.query({ id });
    expect(agent).toMatchObject({ channel: 'console-agent', profile: 'default', remoteUids: ['100'] });

    // Someone in the channel speaks (the emulator's control API): the words and the agent's answer appear.
    const heard = await fetch(`${stack.emulator.url}/_emulator/channels/console-agent/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uid: 100, text: 'what is the weather', durationMs: 500 }),
    });
    expect(await heard.json()).toEqual({ heardBy: [agent.agentId] });
    const transcript = () =>
      page
        .locator('.transcript li')
        .evaluateAll((items) => items.map((item) => `${item.getAttribute('data-role')}: ${item.querySelector('.said')?.textContent}`));
    await expect.poll(transcript, { timeout: 10_000 }).toContain('user: what is the weather');
    await expect
      .poll(
        async () => (await transcript()).some((line) => line.startsWith('assistant: ') && line.includes('You said: what is the weather')),
        { timeout: 10_000 },
      )
      .toBe(true);

    // Made to speak: too long is refused in the form; a sentence is sent and shows in the transcript.
    const speak = page.getByRole('form', { name: 'Make it speak' });
    await speak.getByLabel('Make it say').fill('é'.repeat(257));
    await speak.getByRole('button', { name: 'Say' }).click();
    await expect.poll(() => speak.locator('[data-error-for="text"]').textContent()).toBe('must be at most 512 bytes of UTF-8');
    expect(stack.emulator.control.requestCounts().convoSpeak ?? 0).toBe(0);
    await speak.getByLabel('Make it say').fill('Welcome to the support line.');
    await speak.getByRole('button', { name: 'Say' }).click();
    await expect.poll(transcript, { timeout: 10_000 }).toContain('assistant: Welcome to the support line.');
    expect(await speak.getByLabel('Make it say').inputValue()).toBe('');
    expect(stack.emulator.control.requestCounts().convoSpeak).toBe(1);
    // Each message once, in order.
    expect(await page.locator('.transcript li').evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-seq'))))).toEqual(
      (await stack.client.agent.history.query({ id })).messages.map((said) => said.seq),
    );

    await page.getByRole('button', { name: 'Interrupt' }).click();
    await expect.poll(() => stack.emulator.control.requestCounts().convoInterrupt ?? 0).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'console-agent.png'), fullPage: true });

    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, stop the agent' }).click();
    await expect.poll(() => page.locator('#agent-state').textContent(), { timeout: 10_000 }).toBe('stopped');
    expect(stack.emulator.control.convoAgent(agent.agentId!)).toMatchObject({ status: 'STOPPED' });
    expect(await page.getByRole('form', { name: 'Make it speak' }).isVisible()).toBe(false);
    // Reopened after the end: the kept conversation, whole.
    const before = await transcript();
    await page.reload();
    await expect.poll(() => page.locator('#agent-state').textContent()).toBe('stopped');
    await expect.poll(transcript).toEqual(before);
    await page.goto(`${stack.app.baseUrl}/console/#/agents`);
    await page.locator(`tr[data-agent="${id}"] .state`).filter({ hasText: 'stopped' }).waitFor();
  });

  it('says why a recording and a transcription failed: live, on a reopened page, and in the lists', async () => {
    const stack = await startRecordingStack({ consoleDir, pollIntervalMs: 200, confirmDelayMs: 100 });
    cleanups.push(() => stack.close(true));
    const page = await openConsole(stack);
    stack.emulator.control.join('doomed', '100');
    const id = await startThroughTheForm(page, 'doomed');
    await expect.poll(() => page.locator('#recording-state').textContent(), { timeout: 10_000 }).toBe('recording');
    const { sid } = await stack.client.recording.get.query({ id });
    stack.emulator.control.failTask(sid!, { module: 0, errorCode: 52, errorMsg: 'start timeout' });
    await expect.poll(() => page.locator('#recording-state').textContent(), { timeout: 10_000 }).toBe('failed');
    // No notices reach this server: all Agora said is status 20.
    const why = "Why it failed: Agora reported status 20: the recording exited abnormally (exited_abnormally, from Agora's query)";
    expect(await page.locator('#failure-reason').textContent()).toBe(why);
    expect(await page.locator('.timeline li').last().textContent()).toContain('exited abnormally');
    // A finished recording's page, opened afresh, says it too, with its whole history from the registry.
    await page.reload();
    await expect.poll(() => page.locator('#failure-reason').textContent()).toBe(why);
    await expect
      .poll(() => page.locator('.timeline li').evaluateAll((items) => items.map((item) => item.getAttribute('data-state'))))
      .toEqual(['starting', 'recording', 'failed']);
    await page.screenshot({ path: join(ARTIFACTS, 'console-failed-recording.png'), fullPage: true });
    await page.goto(`${stack.app.baseUrl}/console/#/recordings`);
    const row = page.locator(`tr[data-recording="${id}"]`);
    await row.locator('.state').filter({ hasText: 'failed' }).waitFor();
    expect(await row.locator('.reason').textContent()).toBe(why.replace('Why it failed: ', ''));

    stack.emulator.control.join('doomed-talk', '100');
    const transcription = await stack.client.transcription.start.mutate({ channel: 'doomed-talk', languages: ['en-US'] });
    stack.emulator.control.failAgent(transcription.agentId, 'asr');
    await page.goto(`${stack.app.baseUrl}/console/#/transcriptions/${transcription.id}`);
    await expect.poll(() => page.locator('#transcription-state').textContent(), { timeout: 10_000 }).toBe('failed');
    await expect
      .poll(() => page.locator('#failure-reason').textContent())
      .toBe("Why it failed: Agora reported the agent FAILED (agent_failed, from Agora's query)");
    await page.screenshot({ path: join(ARTIFACTS, 'console-failed-transcription.png'), fullPage: true });
  });

  it('opens on an overview of what runs and what failed, and finds a task by id or channel', async () => {
    const stack = await startRecordingStack({ consoleDir, pollIntervalMs: 200, confirmDelayMs: 100 });
    cleanups.push(() => stack.close(true));
    stack.emulator.control.join('busy-room', '100');
    const live = await stack.client.recording.start.mutate({ channel: 'busy-room' });
    await expect.poll(async () => (await stack.client.recording.get.query({ id: live.id })).state, { timeout: 5_000 }).toBe('recording');
    const broken = await stack.client.recording.start.mutate({ channel: 'busy-room' });
    await expect.poll(async () => (await stack.client.recording.get.query({ id: broken.id })).state, { timeout: 5_000 }).toBe('recording');
    stack.emulator.control.failTask(broken.sid, { module: 2, errorCode: 50, errorMsg: 'upload timeout' });
    await expect.poll(async () => (await stack.client.recording.get.query({ id: broken.id })).state, { timeout: 5_000 }).toBe('failed');
    stack.emulator.control.join('talk-room', '100');
    const talk = await stack.client.transcription.start.mutate({ channel: 'talk-room', languages: ['en-US'] });
    await stack.client.transcription.start.mutate({ channel: 'other-talk', languages: ['en-US'] });
    stack.emulator.control.join('agent-room', '100');
    await stack.client.agent.start.mutate({ channel: 'agent-room', remoteUids: ['100'] });
    const gone = await stack.client.agent.start.mutate({ channel: 'agent-room', remoteUids: ['100'] });
    stack.emulator.control.failConvoAgent(gone.agentId, 'llm', 'upstream model error');
    await expect.poll(async () => (await stack.client.agent.get.query({ id: gone.id })).state, { timeout: 10_000 }).toBe('failed');

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    cleanups.push(() => page.close());
    await page.goto(`${stack.app.baseUrl}/console/`);
    const counts = (kind: string) =>
      page
        .locator(`table.counts[data-kind="${kind}"] td`)
        .evaluateAll((cells) => cells.map((cell) => `${cell.getAttribute('data-state')}=${cell.textContent}`));
    await expect
      .poll(() => counts('recordings'), { timeout: 10_000 })
      .toEqual(['starting=0', 'recording=1', 'stopping=0', 'stopped=0', 'failed=1']);
    expect(await counts('transcriptions')).toEqual(['starting=0', 'running=2', 'stopping=0', 'stopped=0', 'failed=0']);
    expect(await counts('agents')).toEqual(['starting=0', 'running=1', 'stopping=0', 'stopped=0', 'failed=1']);
    expect(await page.locator(`li[data-failure="${gone.id}"] a`).getAttribute('href')).toBe(`#/agents/${gone.id}`);
    expect(await page.locator(`li[data-failure="${broken.id}"] .reason`).textContent()).toBe(
      "Agora reported status 20: the recording exited abnormally (exited_abnormally, from Agora's query)",
    );
    expect(await page.locator('tr[data-endpoint="acquire"] td').first().textContent()).toBe('2');
    await page.screenshot({ path: join(ARTIFACTS, 'console-overview.png'), fullPage: true });
    // AUTH_MODE=none: nothing to sign in to, and no heavy outline around the page on load.
    expect(await page.getByRole('link', { name: 'Sign in' }).count()).toBe(0);
    expect(await page.locator('main').evaluate((main) => [document.activeElement === main, getComputedStyle(main).outlineStyle])).toEqual([
      true,
      'none',
    ]);

    // A count links to the list filtered by its state.
    await page.locator('table.counts[data-kind="recordings"] td[data-state="failed"] a').click();
    await page.locator(`tr[data-recording="${broken.id}"]`).waitFor();
    expect(await page.locator('tbody tr').count()).toBe(1);
    // The list is in view at 1280×900, above the start form.
    expect(
      await page
        .locator('table')
        .first()
        .evaluate((table) => table.getBoundingClientRect().top),
    ).toBeLessThan(900);
    // An id goes straight to its page.
    await page.getByLabel('Recording id').fill(live.id);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL(new RegExp(`#/recordings/${live.id}$`));
    await expect.poll(() => page.locator('#recording-state').textContent()).toBe('recording');
    // Transcriptions filter by channel.
    await page.getByRole('link', { name: 'Transcriptions' }).click();
    await page.getByRole('search', { name: 'Find transcriptions' }).getByLabel('Channel').fill('talk-room');
    await page.getByRole('button', { name: 'Find' }).click();
    await expect
      .poll(() => page.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-transcription'))))
      .toEqual([talk.id]);
  });

  it('gives an individual recording a player per playlist and its snapshots as a gallery; after the end the players load the final playlists', async () => {
    const stack = await startRecordingStack({ consoleDir, pollIntervalMs: 200, confirmDelayMs: 100 });
    cleanups.push(() => stack.close(true));
    stack.emulator.control.join('solo-room', '100');
    const started = await stack.client.recording.start.mutate({
      channel: 'solo-room',
      mode: 'individual',
      snapshots: { intervalSeconds: 5 },
    });
    await stack.agoraClock.advance(25_000);
    const page = await openConsole(stack);
    await page.goto(`${stack.app.baseUrl}/console/#/recordings/${started.id}`);
    await expect
      .poll(
        () =>
          page.locator('figure.playlist').evaluateAll((figures) => figures.map((figure) => figure.getAttribute('data-playlist')).sort()),
        { timeout: 10_000 },
      )
      .toEqual([`${started.sid}_solo-room__uid_s_100__uid_e_audio.m3u8`, `${started.sid}_solo-room__uid_s_100__uid_e_video.m3u8`]);
    await expect.poll(() => page.locator('.gallery img').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.locator('.files img').count()).toBe(0);
    expect(await page.locator('video[data-final="true"]').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'console-individual.png'), fullPage: true });
    await stack.client.recording.stop.mutate({ id: started.id });
    await expect.poll(() => page.locator('video[data-final="true"]').count(), { timeout: 10_000 }).toBe(2);
  });

  it(
    'shows a refused field next to it with the server\u2019s words, and a server-only refusal in the form',
    { timeout: 60_000 },
    async () => {
      const stack = await startRecordingStack({ consoleDir });
      cleanups.push(() => stack.close(true));
      const page = await openConsole(stack);
      const form = page.getByRole('form', { name: 'Start a recording' });
      await form.locator('input[name="channel"]').fill('bad/channel');
      await form.getByRole('button', { name: 'Start' }).click();
      const refused = await catchServerError(stack.client.recording.start.mutate({ channel: 'bad/channel' }));
      expect(refused.data?.issues?.[0]?.path).toBe('channel');
      expect(await form.locator('[data-error-for="channel"]').textContent()).toBe(refused.data?.issues?.[0]?.message);
      // A uid already recording the channel: only the server can tell.
      await stack.client.recording.start.mutate({ channel: 'dup-room', uid: '4000000123' });
      await form.locator('input[name="channel"]').fill('dup-room');
      await form.getByText('More options').click();
      await form.getByLabel('Recorder uid').fill('4000000123');
      await form.getByRole('button', { name: 'Start' }).click();
      await expect
        .poll(() => form.getByRole('alert').last().textContent())
        .toContain('uid 4000000123 is already recording channel "dup-room"');
      expect(await form.locator('[data-error-for="channel"]').textContent()).toBe('');
    },
  );

  it("changes a running mix recording's layout, with the server's field error first", async () => {
    const stack = await startRecordingStack({ consoleDir, pollIntervalMs: 200, confirmDelayMs: 100 });
    cleanups.push(() => stack.close(true));
    const page = await openConsole(stack);
    stack.emulator.control.join('layout-room', '100');
    const id = await startThroughTheForm(page, 'layout-room');
    const form = page.getByRole('form', { name: 'Layout' });
    await form.getByLabel('Layout').selectOption('vertical');
    await form.getByRole('button', { name: 'Change layout' }).click();
    await expect.poll(() => form.locator('[data-error-for="maxResolutionUid"]').textContent()).toBe("is required with layout 'vertical'");
    await form.getByLabel('Big window uid').fill('100');
    await form.getByRole('button', { name: 'Change layout' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toBe('Done.');
    const { sid } = await stack.client.recording.get.query({ id });
    expect(stack.emulator.control.task(sid!)?.layout).toMatchObject({ mixedVideoLayout: 2, maxResolutionUid: '100' });
  });

  it("sends the options the mode takes, as Agora's start receives them", async () => {
    const stack = await startRecordingStack({ consoleDir });
    cleanups.push(() => stack.close(true));
    const page = await openConsole(stack);
    stack.emulator.control.join('options-room', '100');
    const form = page.getByRole('form', { name: 'Start a recording' });
    await form.locator('input[name="channel"]').fill('options-room');
    // Only the chosen mode's fields show: web asks for a page, individual for snapshots, not MP4.
    const shown = () =>
      form
        .locator('label')
        .evaluateAll((labels) => labels.filter((label) => label.checkVisibility()).map((label) => label.firstChild?.textContent?.trim()));
    await form.getByLabel('Mode').selectOption('web');
    expect(await shown()).toEqual(['Channel', 'Mode', 'Page URL', 'also MP4']);
    await form.getByLabel('Page URL').fill('https://example.com/page');
    await form.getByLabel('Mode').selectOption('individual');
    expect(await shown()).toEqual(['Channel', 'Mode', 'Snapshot every … seconds']);
    await form.getByText('More options').click();
    await form.getByLabel('Record only the audio of uids').fill('100, 200');
    await form.getByLabel('Snapshot every').fill('5');
    await form.getByLabel('Longest recording in seconds').fill('600');
    await form.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/#\/recordings\/[0-9a-f]+$/);
    const sent = stack.starts.at(-1)!;
    expect(sent.mode).toBe('individual');
    // The page URL typed in web mode is not sent with an individual recording.
    expect(JSON.stringify(sent.clientRequest)).not.toContain('example.com');
    expect(sent.clientRequest).toMatchObject({
      recordingConfig: { subscribeAudioUids: ['100', '200'] },
      snapshotConfig: { captureInterval: 5, fileType: ['jpg'] },
    });
    const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);
    expect((await stack.client.recording.get.query({ id })).maxDurationSeconds).toBe(600);
  });

  it('mints a token and shows what it grants', async () => {
    const stack = await startRecordingStack({ consoleDir });
    cleanups.push(() => stack.close(true));
    const page = await openConsole(stack);
    await page.getByRole('link', { name: 'Tokens' }).click();
    const form = page.getByRole('form', { name: 'Mint a token' });
    await form.getByLabel('Channel (RTC)').fill('token-room');
    await form.getByLabel('Uid or account (RTC)').fill('42');
    await form.getByRole('button', { name: 'Mint' }).click();
    const token = (await page.locator('#token').textContent())!;
    const decoded = readToken(token, TEST_APP_CERTIFICATE);
    expect(decoded.signatureValid).toBe(true);
    expect(decoded.services[0]!.fields).toEqual(['token-room', '42']);
    const grants = (await page.locator('#grants').textContent())!;
    expect(grants).toContain('channel: token-room');
    expect(grants).toContain('uid: 42');
    expect(grants).toContain('join channel');
    await page.screenshot({ path: join(ARTIFACTS, 'console-tokens.png'), fullPage: true });
    // A phone's width: nothing runs off the side.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Recordings' }).click();
    await page.getByRole('form', { name: 'Start a recording' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(ARTIFACTS, 'console-narrow.png'), fullPage: true });
  });

  it('asks for credentials when the server wants them, and keeps them in the tab', async () => {
    const authenticator = createApiKeyAuth([{ id: 'ops', hash: hashApiKey(KEY), scopes: ['token', 'record'], channels: ['*'] }]);
    const stack = await startRecordingStack({ consoleDir, authenticator, auth: KEY });
    cleanups.push(() => stack.close(true));
    await stack.client.recording.start.mutate({ channel: 'signed-room' });
    const page = await openConsole(stack);
    await page.waitForURL(/#\/sign-in$/);
    await page.getByLabel('API key or JWT').fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('td', { hasText: 'signed-room' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('agora-console-credential'))).toBe(KEY);
  });
});
