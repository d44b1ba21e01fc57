import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson, rawRequest } from './helpers/http.js';
import { startRecordingStack, type RecordingStack } from './helpers/recording-stack.js';

let stack: RecordingStack | undefined;
afterEach(async () => {
  await stack?.close(true);
  stack = undefined;
});

type Schema = Record<string, unknown>;
type Operation = {
  requestBody?: { content: { 'application/json': { schema: Schema } } };
  parameters?: { name: string; in: string; schema: Schema }[];
};

async function document(s: RecordingStack) {
  return (await rawRequest(s.app.baseUrl, { path: '/openapi.json' })).json as { paths: Record<string, Record<string, Operation>> };
}

/**
 * What a generated client or a fuzzer learns from the document must be what the server enforces:
 * for a table of inputs, "valid by the document" and "accepted by the server" agree.
 */
describe('the OpenAPI document', () => {
  it('accepts exactly what POST /api/v1/tokens accepts', async () => {
    const s = (stack = await startRecordingStack());
    const schema = (await document(s)).paths['/tokens']!.post!.requestBody!.content['application/json'].schema;
    const valid = new Ajv2020({ strict: false }).compile(schema);
    const inputs: unknown[] = [
      { channel: 'room', uid: 1 },
      { channel: 'room', uid: '20' },
      { channel: 'room', uid: 'alice' },
      { channel: 'room', uid: 0 },
      { channel: 'room', uid: 4_294_967_295 },
      { channel: 'room', uid: 4_294_967_296 },
      { channel: 'room', uid: -1 },
      { channel: 'room', uid: 1.5 },
      { channel: 'room', uid: '' },
      { channel: 'room', uid: 'a/b' },
      { channel: 'room', uid: 'u'.repeat(256) },
      { channel: '', uid: 1 },
      { channel: 'x'.repeat(63), uid: 1 },
      { channel: 'x'.repeat(64), uid: 1 },
      { channel: 'room/1', uid: 1 },
      { channel: 'room é', uid: 1 },
      { channel: 'room', uid: 1, role: 'subscriber' },
      { channel: 'room', uid: 1, role: 'admin' },
      { channel: 'room', uid: 1, expireSeconds: 86_400 },
      { channel: 'room', uid: 1, expireSeconds: 86_401 },
      { channel: 'room', uid: 1, expireSeconds: 0 },
      { kind: 'rtm', userId: 'u'.repeat(64) },
      { kind: 'rtm', userId: 'u'.repeat(65) },
      { kind: 'rtm', userId: '' },
      { kind: 'chat' },
      { kind: 'nope', channel: 'room', uid: 1 },
      { uid: 1 },
    ];
    for (const input of inputs) {
      const response = await postJson(s.app.baseUrl, '/api/v1/tokens', input);
      expect({ input, accepted: response.status === 200 }).toEqual({ input, accepted: valid(input) });
      expect(response.status).toBeLessThan(500);
    }
  });

  it('carries the recorder uid, list and mode rules of POST /api/v1/recordings', async () => {
    const s = (stack = await startRecordingStack());
    const schema = (await document(s)).paths['/recordings']!.post!.requestBody!.content['application/json'].schema as {
      properties: Record<string, Schema>;
      description: string;
    };
    const valid = new Ajv2020({ strict: false }).compile(schema);
    // Field-level rules the document can express: it and the server agree.
    for (const uid of [1, '1', 4_294_967_295, 0, '0', '01', 4_294_967_296, 'abc']) {
      const input = { channel: `uid-${String(uid)}`, uid, mode: 'mix' };
      const response = await postJson(s.app.baseUrl, '/api/v1/recordings', input);
      if (response.status === 201) await postJson(s.app.baseUrl, `/api/v1/recordings/${(response.json as { id: string }).id}/stop`, {});
      expect({ uid, accepted: response.status === 201 }).toEqual({ uid, accepted: valid(input) });
    }
    for (const fileTypes of [['hls'], ['hls', 'mp4'], ['mp4'], ['hls', 'hls'], []]) {
      expect({ fileTypes, valid: valid({ channel: 'c', fileTypes }) }).toEqual({
        fileTypes,
        valid: fileTypes.includes('hls') && new Set(fileTypes).size === fileTypes.length,
      });
    }
    // Rules between fields are stated in words.
    expect(schema.description).toContain('web mode requires pageUrl');
    expect(schema.properties.channel).toMatchObject({ minLength: 1, maxLength: 63, pattern: expect.any(String) as unknown });
  });

  it('lists every query parameter a route takes, and the server refuses others', async () => {
    const s = (stack = await startRecordingStack());
    const list = (await document(s)).paths['/recordings']!.get!;
    expect(list.parameters!.map((parameter) => parameter.name).sort()).toEqual(['channel', 'cursor', 'limit', 'state']);
    expect(list.parameters!.find((parameter) => parameter.name === 'channel')!.schema).toMatchObject({ maxLength: 63 });
    const refused = await rawRequest(s.app.baseUrl, { path: '/api/v1/recordings?limit=5&channels=room' });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ message: 'channels: is not a query parameter of GET /api/v1/recordings' });
    expect((await rawRequest(s.app.baseUrl, { path: '/api/v1/recordings/some-id?verbose=1' })).status).toBe(400);
  });
});
