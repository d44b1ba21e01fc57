import { createClient, type AgoraBackendClient } from '@agora-backend/client';
import { composeApp, type App, type AppDeps, type Logger } from '@agora-backend/server';
import { pino } from 'pino';
import { Writable } from 'node:stream';

/** Fixed development credentials for tests (32 hex characters each, as Agora issues). */
export const TEST_APP_ID = '970ca35de60c44645bbae8a215061b33';
export const TEST_APP_CERTIFICATE = '5cfd2fd1755d40ecb72977518be15d3b';

export interface TestServer {
  app: App;
  client: AgoraBackendClient;
  logs: string[];
  close(): Promise<void>;
}

/** A logger that keeps every line, so tests can assert on what was (not) logged. */
export function createCapturingLogger(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

/** The real app on 127.0.0.1, port 0, with a real client over HTTP. */
export async function startTestServer(deps: AppDeps = {}): Promise<TestServer> {
  const { logger, lines } = createCapturingLogger();
  const app = composeApp(
    { host: '127.0.0.1', port: 0, appId: TEST_APP_ID, appCertificate: TEST_APP_CERTIFICATE, shutdownTimeoutMs: 2_000 },
    { logger, ...deps },
  );
  const { url } = await app.listen();
  return { app, client: createClient({ url }), logs: lines, close: () => app.close() };
}
