import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@agora-backend/client';
import { describe, expect, it } from 'vitest';
import { noticeLog, waitForAnsweredNotices } from './helpers/notices.js';
import { runCli, runEntryPoint } from './helpers/process.js';
import { readToken } from './helpers/token-verifier.js';

const MAIN = 'server/src/main.ts';

interface FileEntry {
  fileName: string;
  key: string;
  kind: string;
  url: string;
}

/** README, "Where are my recordings": the files endpoint and `agoractl download` on the embedded default. */
async function expectPlayableFiles(base: string, emulatorUrl: string, dataDir: string) {
  const published = await fetch(`${emulatorUrl}/_emulator/channels/files-room/publishers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uid: '100' }),
  });
  expect(published.status).toBe(200);
  const started = (await (
    await fetch(`${base}/api/v1/recordings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'files-room', fileTypes: ['hls', 'mp4'] }),
    })
  ).json()) as { id: string };
  const listFiles = async () =>
    ((await (await fetch(`${base}/api/v1/recordings/${started.id}/files`)).json()) as { files: FileEntry[] }).files;
  await expect
    .poll(async () => (await listFiles()).map((file) => file.kind).sort(), { timeout: 10_000 })
    .toEqual(['mp4', 'playlist', 'segment']);
  expect((await fetch(`${base}/api/v1/recordings/${started.id}/stop`, { method: 'POST' })).status).toBe(200);
  const folder = join(dataDir, 'recordings', 'local');
  for (const file of await listFiles()) {
    const bytes = Buffer.from(await (await fetch(file.url)).arrayBuffer());
    expect(bytes.equals(await readFile(join(folder, file.key))), file.key).toBe(true);
  }
  const into = join(dataDir, 'download');
  const download = await runCli(['download', started.id, '--dir', into], { AGORACTL_URL: `${base}/trpc` });
  expect(download.code, download.stderr).toBe(0);
  expect((await readdir(into)).sort()).toEqual((await listFiles()).map((file) => file.fileName).sort());
}

describe('the real entry point (pnpm start)', () => {
  it('starts with no Agora variables, serves health and tokens, and exits 0 on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'agora-main-'));
    const server = runEntryPoint(MAIN, { PORT: '0', DATA_DIR: dataDir, LOG_FORMAT: 'json' });
    try {
      const devLine = await server.waitForLog((line) => String(line.msg).startsWith('Development mode'));
      const emulatorLine = await server.waitForLog((line) => String(line.msg).includes('built-in emulator'));
      const listening = await server.waitForLog((line) => String(line.msg).startsWith('Listening on'));
      // The embedded emulator answers, and its control API says it runs no recording yet.
      const state = (await (await fetch(String(emulatorLine.control))).json()) as { tasks: unknown[] };
      expect(state.tasks).toEqual([]);
      const url = String(listening.url);
      const credentials = JSON.parse(await readFile(join(dataDir, 'dev-credentials.json'), 'utf8')) as {
        appId: string;
        appCertificate: string;
      };
      expect(devLine.appId).toBe(credentials.appId);
      // The certificate signs tokens: it must not be in any log line.
      expect(server.stdout.join('\n')).not.toContain(credentials.appCertificate);

      const health = await fetch(new URL('/healthz', url));
      expect(health.status).toBe(200);

      const result = await createClient({ url }).token.generate.mutate({ channel: 'room1', uid: 99 });
      const decoded = readToken(result.token, credentials.appCertificate);
      expect(decoded.signatureValid).toBe(true);
      expect(decoded.appId).toBe(credentials.appId);
      expect(decoded.services[0]!.fields).toEqual(['room1', '99']);

      // Cloud Recording works offline against the embedded emulator, with the SQLite registry.
      const api = createClient({ url });
      const recording = await api.recording.start.mutate({ channel: 'room1' });
      expect(recording.state).toBe('starting');
      const stopped = await api.recording.stop.mutate({ id: recording.id });
      expect(stopped).toMatchObject({ state: 'stopped', alreadyStopped: false });
      expect((await api.recording.list.query({})).items.map((item) => item.id)).toEqual([recording.id]);
      // The embedded emulator sends its notifications to this server's webhook, which accepts them.
      const base = url.replace(/\/trpc$/, '');
      const emulatorUrl = String(emulatorLine.emulatorUrl);
      const delivered = await waitForAnsweredNotices(emulatorUrl, 'session_exit');
      expect((await noticeLog(emulatorUrl)).url).toBe(`${base}/webhooks/agora`);
      expect(delivered.filter((notice) => notice.status !== 200)).toEqual([]);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(Number(/agora_backend_webhook_notices_total\{outcome="accepted"\} (\d+)/.exec(metrics)?.[1])).toBe(delivered.length);

      await expectPlayableFiles(base, String(emulatorLine.emulatorUrl), dataDir);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(server.stdout.join('\n')).toContain('"msg":"stopped"');
    } finally {
      server.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses invalid configuration before opening a port, listing every problem without secrets', async () => {
    const secret = 'do-not-print-this-secret';
    const server = runEntryPoint(MAIN, {
      PORT: '70000',
      AGORA_APP_ID: 'xyz',
      AGORA_APP_CERTIFICATE: secret,
      CUSTOMER_SECRET: secret,
    });
    expect(await server.exited).toBe(1);
    const stderr = server.stderr.join('');
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('PORT: must be a whole number from 0 to 65535');
    expect(stderr).toContain('AGORA_APP_ID: must be 32 hexadecimal characters');
    expect(stderr).toContain('AGORA_APP_CERTIFICATE: must be 32 hexadecimal characters');
    expect(stderr).toContain('AGORA_CUSTOMER_ID: is required when AGORA_CUSTOMER_SECRET is set');
    expect(stderr).not.toContain(secret);
    expect(server.stdout.join('')).not.toContain('Listening');
  });

  it('checks its ports before creating anything, and names the setting of a taken one', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as AddressInfo).port;
    const dataDir = await mkdtemp(join(tmpdir(), 'agora-port-'));
    try {
      for (const [env, setting] of [
        [{ PORT: String(taken) }, 'PORT'],
        [{ PORT: '0', EMULATOR_PORT: String(taken) }, 'EMULATOR_PORT'],
      ] as const) {
        const server = runEntryPoint(MAIN, { ...env, DATA_DIR: dataDir, LOG_FORMAT: 'json' });
        expect(await server.exited).toBe(1);
        expect(server.stderr.join('')).toBe(
          `Cannot listen, not starting (nothing was created):\n  - ${setting}=${taken}: 127.0.0.1:${taken} is taken: another process listens there. Stop that process, or set ${setting} to another port (0 picks a free one).\n`,
        );
        // No development credentials, registry or recordings folder: nothing was made.
        expect(await readdir(dataDir)).toEqual([]);
      }
    } finally {
      await new Promise((resolve) => holder.close(resolve));
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('honours EMULATOR_PORT for the embedded emulator and names its URL in the "Listening on" line', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const dataDir = await mkdtemp(join(tmpdir(), 'agora-emu-port-'));
    const server = runEntryPoint(MAIN, { PORT: '0', EMULATOR_PORT: String(port), DATA_DIR: dataDir, LOG_FORMAT: 'json' });
    try {
      const listening = await server.waitForLog((line) => String(line.msg).startsWith('Listening on'));
      expect(listening.emulatorUrl).toBe(`http://127.0.0.1:${port}`);
      expect(String(listening.msg)).toContain(`emulator http://127.0.0.1:${port} (control: http://127.0.0.1:${port}/_emulator)`);
      expect((await fetch(`http://127.0.0.1:${port}/_emulator/state`)).status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses AUTH_MODE=none on 0.0.0.0 and says why', async () => {
    const server = runEntryPoint(MAIN, { HOST: '0.0.0.0', PORT: '0' });
    expect(await server.exited).toBe(1);
    expect(server.stderr.join('')).toContain("AUTH_MODE: 'none' lets anyone mint tokens and start paid recordings");
  });
});
