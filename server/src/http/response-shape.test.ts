import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const tsx = createRequire(import.meta.url).resolve('tsx');
const shapeModule = fileURLToPath(new URL('./response-shape.ts', import.meta.url));

/**
 * A server that answers six requests (as ours does at start-up), goes through a full collection
 * with none of their responses alive, then answers ten more: how many of those responses are in
 * V8's dictionary mode when Node hands them over. In a process of its own: the shape is per process.
 */
const SCENARIO = `
import http from 'node:http';
const { settleResponseShape } = await import(${JSON.stringify(shapeModule)});
const hasFastProperties = new Function('object', 'return %HasFastProperties(object)');
if (process.argv.includes('settle')) settleResponseShape();
let dictionaries = 0;
const server = http.createServer((req, res) => {
  if (!hasFastProperties(res)) dictionaries++;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end('data: {}\\n\\n');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = 'http://127.0.0.1:' + server.address().port + '/';
const get = () => new Promise((resolve) => http.get(url, { agent: false }, (res) => res.resume().on('end', resolve)));
for (let i = 0; i < 6; i++) await get();
globalThis.gc();
dictionaries = 0;
for (let i = 0; i < 10; i++) await get();
server.close();
console.log(JSON.stringify({ dictionaries }));
`;

function run(script: string, settle: boolean): number {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', '--allow-natives-syntax', '--import', tsx, script, ...(settle ? ['settle'] : [])],
    { encoding: 'utf8', timeout: 30_000 },
  );
  expect(child.status, child.stderr).toBe(0);
  return (JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { dictionaries: number }).dictionaries;
}

describe('settleResponseShape', () => {
  it('keeps responses out of dictionary mode after a collection that finds none alive', async () => {
    const script = join(await mkdtemp(join(tmpdir(), 'response-shape-')), 'scenario.mjs');
    await writeFile(script, SCENARIO);
    // The cause, on this Node: without it every later response is a dictionary. When a Node
    // release stops doing this, this line fails and settleResponseShape can go.
    expect(run(script, false)).toBe(10);
    expect(run(script, true)).toBe(0);
  });
});
