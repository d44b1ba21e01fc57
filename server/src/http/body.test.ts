import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { readJsonBody } from './body.js';

/**
 * The body reader against a real server and raw sockets: bodies in several chunks, cut off, too
 * large by their declared length or by what arrives. What it settles with is handed to the test.
 */
function serverReading(limit: number): { server: Server; settled: Promise<unknown> } {
  let settle!: (outcome: unknown) => void;
  const settled = new Promise<unknown>((resolve) => (settle = resolve));
  const server = createServer((req: IncomingMessage, res) => {
    readJsonBody(req, limit).then(
      (body) => {
        settle(body);
        res.end();
      },
      (error: unknown) => {
        settle(error);
        res.destroy();
      },
    );
  });
  return { server, settled };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** Opens a raw connection to a server reading bodies of at most `limit` bytes; writes the pieces, `gapMs` apart. */
async function send(limit: number, head: string, pieces: string[], options: { gapMs?: number; cutOff?: boolean } = {}) {
  const { server, settled } = serverReading(limit);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(head);
  for (const piece of pieces) {
    await new Promise((resolve) => setTimeout(resolve, options.gapMs ?? 20));
    socket.write(piece);
  }
  if (options.cutOff) setTimeout(() => socket.destroy(), 50);
  const outcome = await settled;
  socket.destroy();
  return outcome;
}

const head = (length: number, type = 'application/json') =>
  `POST / HTTP/1.1\r\nhost: localhost\r\ncontent-type: ${type}\r\ncontent-length: ${length}\r\n\r\n`;

describe('readJsonBody', () => {
  it('joins a body that arrives in several chunks', async () => {
    const text = JSON.stringify({ channel: 'chunks', uid: 7, note: 'é'.repeat(50) });
    const pieces = [text.slice(0, 10), text.slice(10, 40), text.slice(40)];
    const outcome = await send(1_000, head(Buffer.byteLength(text)), pieces);
    expect(outcome).toEqual({ text, value: JSON.parse(text) as unknown });
  });

  it('tells a body cut off by its client apart (400 MALFORMED_REQUEST)', async () => {
    const outcome = await send(1_000, head(100), ['{"channel":'], { cutOff: true });
    expect(outcome).toBeInstanceOf(AppError);
    expect(outcome).toMatchObject({ appCode: 'MALFORMED_REQUEST', message: 'the request body was cut off' });
  });

  it('refuses a body declared larger than the limit before reading it', async () => {
    const outcome = await send(64, head(65), []);
    expect(outcome).toMatchObject({ appCode: 'PAYLOAD_TOO_LARGE', message: 'the request body is larger than 64 bytes' });
  });

  it('refuses a chunked body once what arrived passes the limit', async () => {
    const chunked = 'POST / HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n';
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
    const outcome = await send(64, chunked, [chunk(`"${'a'.repeat(40)}`), chunk(`${'b'.repeat(40)}"`), '0\r\n\r\n']);
    expect(outcome).toMatchObject({ appCode: 'PAYLOAD_TOO_LARGE' });
  });

  it('reads an empty body as none, without a content type', async () => {
    const outcome = await send(64, 'POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: 0\r\n\r\n', []);
    expect(outcome).toEqual({ text: '', value: undefined });
  });

  it('refuses bad JSON and a foreign content type with their own errors', async () => {
    expect(await send(64, head(9), ['{"a": 1,}'])).toMatchObject({
      appCode: 'MALFORMED_REQUEST',
      message: 'the request body is not valid JSON',
    });
    expect(await send(64, head(2, 'text/plain'), ['{}'])).toMatchObject({ appCode: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});
