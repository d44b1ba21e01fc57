import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, decodeToken } from '@agora-backend/server';
import { beforeAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const dist = (file: string) => join(root, 'dist', file);

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'pipe' });
}, 120_000);

describe('the built client (dist)', () => {
  it('is self-contained: no workspace imports in code or declarations, no Node built-ins in the browser entry', () => {
    const code = readFileSync(dist('index.js'), 'utf8');
    const types = readFileSync(dist('index.d.ts'), 'utf8');
    expect(code).not.toMatch(/from\s*["']@agora-backend\//);
    expect(types).not.toMatch(/from\s*["']@agora-backend\//);
    expect(code).not.toMatch(/from\s*["'](node:|ws["']|eventsource["'])/);
    expect(types).toContain('createClient');
  });

  it('types a consumer program end to end, from the declarations alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-consumer-'));
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import { createClient, getAgoraError, type RouterOutputs } from ${JSON.stringify(dist('index.js'))};
const api = createClient({ url: 'http://127.0.0.1:1/trpc' });
export const expiry = async (): Promise<Date> => (await api.token.generate.mutate({ channel: 'a', uid: 1 })).expiresAt;
export const sid: RouterOutputs['recording']['start']['sid'] = 'x';
export const agora = getAgoraError(new Error('x'))?.code;
// @ts-expect-error: no such procedure; if the types had degraded to any this would not be an error
api.token.nope;
// @ts-expect-error: uid must be a number or a string
void api.token.generate.mutate({ channel: 'a', uid: true });
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2023', 'DOM'], skipLibCheck: true, types: [] }, files: ['consumer.ts'] }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const output = (() => {
      try {
        return execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? error);
      }
    })();
    expect(output).toBe('');
  });

  it('calls a real server from the built Node entry', async () => {
    const app = createApp({ host: '127.0.0.1', port: 0, appId: '970ca35de60c44645bbae8a215061b33', appCertificate: '5cfd2fd1755d40ecb72977518be15d3b' });
    const { url } = await app.listen();
    try {
      const built = (await import(dist('node.js'))) as typeof import('./node.js');
      const api = built.createClient({ url });
      const result = await api.token.generate.mutate({ channel: 'dist', uid: 7 });
      expect(result.issuedAt).toBeInstanceOf(Date);
      expect(decodeToken(result.token)?.rtc).toMatchObject({ channel: 'dist', uid: '7' });
      await built.closeClient(api);
    } finally {
      await app.close();
    }
  });
});
