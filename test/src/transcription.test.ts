import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { catchServerError } from './helpers/errors.js';
import { STORAGE, startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';
import { TEST_APP_CERTIFICATE } from './helpers/server.js';
import { readToken } from './helpers/token-verifier.js';

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

const sttCalls = (s: RecordingStack) => {
  const counts = s.emulator.control.requestCounts();
  return {
    join: counts.sttJoin ?? 0,
    query: counts.sttQuery ?? 0,
    leave: counts.sttLeave ?? 0,
    update: counts.sttUpdate ?? 0,
    list: counts.sttList ?? 0,
  };
};

describe('transcription.start / watch / files / stop, end to end', () => {
  it('transcribes a channel: the bot gets a token of its own, captions land in the bucket, stop is confirmed and idempotent', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('talk', '100');
    const started = await stack.client.transcription.start.mutate({
      channel: 'talk',
      languages: ['en-US'],
      translate: [{ source: 'en-US', targets: ['fr-FR'] }],
      captions: { sliceSeconds: 5 },
    });
    expect(started).toMatchObject({ channel: 'talk', state: 'running', languages: ['en-US'] });
    expect(Number(started.uid)).toBeGreaterThanOrEqual(4_000_000_000);

    const agent = stack.emulator.control.agent(started.agentId)!;
    expect(agent).toMatchObject({ status: 'RUNNING', channel: 'talk', pubBotUid: started.uid, name: started.id, languages: ['en-US'] });
    expect(sttCalls(stack)).toMatchObject({ join: 1 });

    const watch = stack.client.transcription.watch.subscribe;
    const events: { state: string }[] = [];
    const subscription = watch({ id: started.id }, { onData: (event) => events.push(event.data) });

    expect(stack.emulator.control.speak('talk', { uid: '100', text: 'hello from the emulator', durationMs: 1500 })).toEqual([
      started.agentId,
    ]);
    await stack.emulator.control.flushStorage();
    const listed = await stack.client.transcription.files.query({ id: started.id });
    expect(listed.unavailableReason).toBeNull();
    const names = listed.files.map((file) => file.fileName);
    expect(names).toContain(`${started.agentId}_talk.m3u8`);
    expect(names).toContain(`fr-FR_${started.agentId}_talk.m3u8`);
    const slice = listed.files.find((file) => file.kind === 'captions' && file.language === null)!;
    expect(slice.contentType).toBe('text/vtt; charset=utf-8');
    const vtt = await (await fetch(slice.url!)).text();
    expect(vtt).toContain('WEBVTT');
    expect(vtt).toContain('<v 100>hello from the emulator');
    const translated = listed.files.find((file) => file.kind === 'captions' && file.language === 'fr-FR')!;
    expect(await (await fetch(translated.url!)).text()).toContain('[fr-FR] hello from the emulator');
    // The caption keys stay under the transcription's own folder.
    expect(listed.files.every((file) => file.key.startsWith(`transcriptions/${started.id}/`))).toBe(true);
    const onDisk = await readFile(
      `${stack.storageDir}/${STORAGE.bucket}/transcriptions/${started.id}/${started.agentId}_talk.m3u8`,
      'utf8',
    );
    expect(onDisk).toContain('#EXTM3U');

    const stopped = await stack.client.transcription.stop.mutate({ id: started.id });
    expect(stopped).toEqual({ id: started.id, state: 'stopped', alreadyStopped: false, lastError: null });
    expect(stack.emulator.control.agent(started.agentId)).toMatchObject({ status: 'STOPPED', endReason: 'left' });
    const again = await stack.client.transcription.stop.mutate({ id: started.id });
    expect(again).toEqual({ id: started.id, state: 'stopped', alreadyStopped: true, lastError: null });
    expect(sttCalls(stack).leave).toBe(1);

    await expect.poll(() => events.map((event) => event.state)).toEqual(['running', 'stopping', 'stopped']);
    subscription.unsubscribe();
    const stored = await stack.client.transcription.get.query({ id: started.id });
    expect(stored).toMatchObject({
      state: 'stopped',
      agentId: started.agentId,
      captionsPrefix: `transcriptions/${started.id}`,
      translate: [{ source: 'en-US', targets: ['fr-FR'] }],
    });
  });

  it('starts a watch over with the current state when lastEventId is newer than any event, instead of silence', async () => {
    stack = await startRecordingStack();
    stack.emulator.control.join('talk', '100');
    const started = await stack.client.transcription.start.mutate({ channel: 'talk', languages: ['en-US'] });
    const events: { state: string }[] = [];
    let completed = false;
    const subscription = stack.client.transcription.watch.subscribe(
      { id: started.id, lastEventId: '99999999' },
      { onData: (event) => events.push(event.data), onComplete: () => (completed = true) },
    );
    await expect.poll(() => events.map((event) => event.state)).toEqual(['running']);
    await stack.client.transcription.stop.mutate({ id: started.id });
    await expect.poll(() => completed).toBe(true);
    expect(events.map((event) => event.state)).toEqual(['running', 'stopping', 'stopped']);
    subscription.unsubscribe();
  });

  it("refuses a language outside Agora's Speech-to-Text list, naming the field, on tRPC and /api/v1, before Agora hears of it", async () => {
    stack = await startRecordingStack();
    const rule = 'must be a language Agora Speech-to-Text supports, such as en-US, zh-CN or es-ES (docs/agora.md lists them)';
    const cases: [Record<string, unknown>, string][] = [
      [{ channel: 'talk', languages: ['xx-XX'] }, `languages.0: ${rule}`],
      [{ channel: 'talk', languages: ['en-US', 'en-XX'] }, `languages.1: ${rule}`],
      [
        { channel: 'talk', languages: ['en-US'], translate: [{ source: 'en-US', targets: ['fr-FR', 'xx-XX'] }] },
        `translate.0.targets.1: ${rule}`,
      ],
    ];
    for (const [input, message] of cases) {
      const refused = await catchServerError(stack.client.transcription.start.mutate(input as never));
      expect([refused.data?.code, refused.message], message).toEqual(['BAD_REQUEST', message]);
      const rest = await fetch(`${stack.app.baseUrl}/api/v1/transcriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(input),
      });
      expect([rest.status, ((await rest.json()) as { message: string }).message], message).toEqual([400, message]);
    }
    // Locales from across Agora's list are accepted as they are written there.
    const started = await stack.client.transcription.start.mutate({
      channel: 'talk',
      languages: ['zh-CN-sichuan', 'fil-PH', 'yue-CN', 'es-US'],
    });
    expect(started.languages).toEqual(['zh-CN-sichuan', 'fil-PH', 'yue-CN', 'es-US']);
    expect(sttCalls(stack).join).toBe(1);
  });

  it("sends Agora a bot token for the channel and the bot's uid, and the server's storage for captions", async () => {
    stack = await startRecordingStack();
    const started = await stack.client.transcription.start.mutate({ channel: 'tok', languages: ['en-US', 'es-ES'], subscribeUids: ['7'] });
    const requests = stack.emulator.control.requests().filter((entry) => entry.endpoint === 'sttJoin');
    expect(requests).toHaveLength(1);
    expect(stack.emulator.control.agent(started.agentId)).toMatchObject({ subscribeAudioUids: ['7'], languages: ['en-US', 'es-ES'] });
    const tokens = stack.sttJoins.map((join) => join.rtcConfig.pubBotToken!);
    expect(tokens).toHaveLength(1);
    const token = readToken(tokens[0]!, TEST_APP_CERTIFICATE);
    expect(token.signatureValid).toBe(true);
    expect(token.services[0]!.fields).toEqual(['tok', started.uid]);
    // Agora cannot renew the bot's token: it lasts as long as a token may.
    expect(token.expire).toBe(86_400);
    expect(stack.sttJoins[0]!.captionConfig?.storage).toMatchObject({
      bucket: STORAGE.bucket,
      fileNamePrefix: ['transcriptions', started.id],
    });
    // Without captions, Agora gets no storage and files says why there are none.
    const silent = await stack.client.transcription.start.mutate({ channel: 'tok', languages: ['en-US'], captions: false });
    expect(stack.sttJoins[1]!.captionConfig).toBeUndefined();
    expect(await stack.client.transcription.files.query({ id: silent.id })).toEqual({
      id: silent.id,
      files: [],
      unavailableReason: 'captions were turned off for this transcription',
    });
  });
});

describe('transcription.update', () => {
  it('changes languages, speakers and translation on Agora, keeps them on the row, and refuses a source outside the languages', async () => {
    stack = await startRecordingStack();
    const started = await stack.client.transcription.start.mutate({
      channel: 'upd',
      languages: ['en-US'],
      translate: [{ source: 'en-US', targets: ['de-DE'] }],
      subscribeUids: ['7'],
    });
    await stack.client.transcription.update.mutate({ id: started.id, languages: ['en-US', 'ja-JP'], subscribeAll: true });
    expect(stack.emulator.control.agent(started.agentId)).toMatchObject({
      languages: ['en-US', 'ja-JP'],
      subscribeAudioUids: undefined,
      translations: [{ source: 'en-US', target: ['de-DE'] }],
    });
    await stack.client.transcription.update.mutate({ id: started.id, translate: [] });
    expect(stack.emulator.control.agent(started.agentId)!.translations).toEqual([]);
    expect(await stack.client.transcription.get.query({ id: started.id })).toMatchObject({ languages: ['en-US', 'ja-JP'], translate: [] });

    const refused = await catchServerError(
      stack.client.transcription.update.mutate({
        id: started.id,
        languages: ['fr-FR'],
        translate: [{ source: 'en-US', targets: ['de-DE'] }],
      }),
    );
    expect(refused.data).toMatchObject({ code: 'BAD_REQUEST', appCode: 'VALIDATION' });
    expect(refused.message).toContain('source en-US must be one of languages (fr-FR)');
    const nothing = await catchServerError(stack.client.transcription.update.mutate({ id: started.id }));
    expect(nothing.data?.issues?.[0]?.message).toBe('give at least one change: languages, translate, subscribeUids or subscribeAll');
    expect(stack.emulator.control.requestCounts().sttUpdate).toBe(2);
  });
});

describe('transcription input and errors', () => {
  it('refuses bad input naming the field, before any Agora call', async () => {
    stack = await startRecordingStack();
    const cases: [unknown, string][] = [
      [{ channel: 'a', languages: [] }, 'languages'],
      [{ channel: 'a', languages: ['en-US', 'fr-FR', 'de-DE', 'es-ES', 'ja-JP'] }, 'languages'],
      [{ channel: 'a', languages: ['english'] }, 'languages.0'],
      [{ channel: 'a', languages: ['en-US'], translate: [{ source: 'de-DE', targets: ['fr-FR'] }] }, 'translate.0.source'],
      [{ channel: 'a', languages: ['en-US'], translate: [{ source: 'en-US', targets: ['en-US'] }] }, 'translate.0.targets'],
      [{ channel: 'a', languages: ['en-US'], maxIdleSeconds: 259_201 }, 'maxIdleSeconds'],
      [{ channel: 'a', languages: ['en-US'], captions: { sliceSeconds: 4 } }, 'captions.sliceSeconds'],
    ];
    for (const [input, field] of cases) {
      const error = await catchServerError(stack.client.transcription.start.mutate(input as never));
      expect(error.data?.code).toBe('BAD_REQUEST');
      expect(error.data?.issues?.map((issue: { path: string }) => issue.path)).toContain(field);
    }
    expect(sttCalls(stack).join).toBe(0);
  });

  it('refuses a bot uid someone in the channel uses (Agora 409) as CONFLICT, and picks another when it chose one', async () => {
    stack = await startRecordingStack({ uidRange: { min: 500, max: 501 } });
    stack.emulator.control.join('busy', '500');
    const refused = await catchServerError(stack.client.transcription.start.mutate({ channel: 'busy', languages: ['en-US'], uid: 500 }));
    expect(refused.data).toMatchObject({ code: 'CONFLICT', appCode: 'AGORA_API', agora: { httpStatus: 409, reason: 'uid conflict' } });
    // With the uid left to the server, Agora's 409 makes it try another (the range holds two).
    const started = await stack.client.transcription.start.mutate({ channel: 'busy', languages: ['en-US'] });
    expect(started.uid).toBe('501');
  });

  it("answers someone else's transcription as a missing one", async () => {
    stack = await startRecordingStack();
    const error = await catchServerError(stack.client.transcription.get.query({ id: 'nope' }));
    expect(error.data).toMatchObject({ code: 'NOT_FOUND', appCode: 'TRANSCRIPTION_NOT_FOUND' });
  });

  it("passes Agora's refusal on with its reason, and the row ends failed", async () => {
    stack = await startRecordingStack();
    stack.emulator.control.injectFault({
      endpoint: 'sttJoin',
      times: 1,
      status: 400,
      body: { reason: 'invalid appid', detail: 'speech-to-text is not enabled for this project' },
    });
    const error = await catchServerError(stack.client.transcription.start.mutate({ channel: 'room', languages: ['en-US'] }));
    expect(error.data).toMatchObject({ code: 'BAD_GATEWAY', appCode: 'AGORA_API', agora: { httpStatus: 400, reason: 'invalid appid' } });
    expect(error.message).toContain('speech-to-text is not enabled');
    const { items } = await stack.client.transcription.list.query({});
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ state: 'failed', agentId: null, lastError: { agora: { httpStatus: 400, reason: 'invalid appid' } } });
  });
});
