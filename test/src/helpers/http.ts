import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One HTTP request with exactly the method, path, headers and body given (Host and Origin
 * included, which fetch would not let a test forge), over a fresh connection.
 */
export function rawRequest(
  baseUrl: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text) as unknown;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** A JSON POST as a browser page or curl would send it. */
export function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(baseUrl, {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** A raw TCP connection to the server: what it sends until it closes the connection. */
export interface RawConnection {
  socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
  /** What the server has sent so far. */
  received(): string;
}

/** Opens a TCP connection and writes `text` (part of a request, or nothing): for clients too slow or too many. */
export function openConnection(baseUrl: string, text = ''): Promise<RawConnection> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<string>((done) => socket.once('close', () => done(Buffer.concat(chunks).toString('utf8'))));
    socket.once('error', () => undefined);
    socket.once('connect', () => {
      if (text) socket.write(text);
      resolve({ socket, closed, received: () => Buffer.concat(chunks).toString('utf8') });
    });
    socket.once('error', reject);
  });
}
