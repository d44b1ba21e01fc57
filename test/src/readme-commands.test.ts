import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '@agora-backend/client';
import { waitForAnsweredNotices } from './helpers/notices.js';
import { REPO_ROOT } from './helpers/process.js';
import { TEST_APP_CERTIFICATE, TEST_APP_ID } from './helpers/server.js';

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `pnpm <script>` from the repository root, as the README writes it, in its own process group. */
function pnpm(script: string, env: Record<string, string>) {
  const child = spawn('pnpm', [script], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (text: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!output.includes(text)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`pnpm ${script}: no "${text}" in:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return output;
  };
  return {
    waitFor,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    },
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("the README's commands, as written", () => {
  it('one .env serves `pnpm emulator` and `pnpm start` pointed at it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'readme-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const emulatorPort = await freePort();
    const serverPort = await freePort();
    // The README's variables: Agora's credentials (the emulator accepts them as its Basic
    // credentials), storage, AGORA_API_URL pointing the server at the emulator, and the webhook
    // secret both use (the emulator signs with it, the server checks it).
    const env = {
      AGORA_APP_ID: TEST_APP_ID,
      AGORA_APP_CERTIFICATE: TEST_APP_CERTIFICATE,
      AGORA_CUSTOMER_ID: 'readme-customer',
      AGORA_CUSTOMER_SECRET: 'readme-secret',
      AGORA_API_URL: `http://127.0.0.1:${emulatorPort}`,
      EMULATOR_PORT: String(emulatorPort),
      AGORA_WEBHOOK_SECRET: 'readme-webhook-secret',
      EMULATOR_WEBHOOK_URL: `http://127.0.0.1:${serverPort}/webhooks/agora`,
      STORAGE_VENDOR: '1',
      STORAGE_REGION: '0',
      STORAGE_BUCKET: 'readme-bucket',
      STORAGE_ACCESS_KEY: 'readme-access',
      STORAGE_SECRET_KEY: 'readme-secret-key',
      DATA_DIR: dataDir,
      LOG_FORMAT: 'json',
      PORT: String(serverPort),
    };
    const emulator = pnpm('emulator', env);
    cleanups.push(() => emulator.stop());
    await emulator.waitFor('emulator listening');
    const server = pnpm('start', env);
    cleanups.push(() => server.stop());
    const listening = await server.waitFor('Listening on');
    const url = /"url":"([^"]+)"/.exec(listening.slice(listening.indexOf('Listening on') - 400))?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/trpc$/);
    expect(server.output()).toContain('Cloud Recording and Speech-to-Text calls go to Agora');
    // In production the server is built JavaScript run by plain node: no TypeScript loader.
    const pid = /"pid":(\d+)[^\n]*Listening on/.exec(listening)?.[1];
    const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    expect(commandLine).toContain('server/dist/main.js');
    expect(commandLine.join(' ')).not.toMatch(/tsx|\.ts\b/);

    const api = createClient({ url: url! });
    const recording = await api.recording.start.mutate({ channel: 'readme' });
    const state = (await (await fetch(`http://127.0.0.1:${emulatorPort}/_emulator/state`)).json()) as {
      tasks: { cname: string; sid: string }[];
    };
    expect(state.tasks.map((task) => [task.cname, task.sid])).toEqual([['readme', recording.sid]]);
    expect(await api.recording.stop.mutate({ id: recording.id })).toMatchObject({ state: 'stopped' });
    // The emulator's notifications reached the server's webhook, signed with the shared secret.
    const notices = await waitForAnsweredNotices(`http://127.0.0.1:${emulatorPort}`, 'session_exit');
    expect(notices.filter((notice) => notice.status !== 200)).toEqual([]);

    // A request that used to end the process: answered, and the server stays up.
    const base = url!.replace(/\/trpc$/, '');
    expect((await fetch(`${base}/api/v1/recordings/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
