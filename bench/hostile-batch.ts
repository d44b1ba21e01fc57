/**
 * How long a hostile batch stalls everyone else: batches of the largest allowed size whose every
 * call carries a superjson frame that made superjson recurse until the stack overflowed (issue 29),
 * sent one after another while a probe asks /healthz over and over on its own connection. The
 * probe's worst answer time bounds the event loop's worst delay from outside (plus a round trip).
 */
import { Agent, request } from 'node:http';
import { median } from './lib.js';

/** What issue 29 sent: superjson recursed on the string until the stack overflowed (~50 ms a call). */
export const HOSTILE_FRAME = '{"json":{"channel":"bench","uid":1},"meta":{"values":"Date"}}';
/** A valid call, for the same figure with legitimate work of the same size. */
export const VALID_FRAME = '{"json":{"channel":"bench","uid":1}}';

function timedRequest(agent: Agent, url: URL, method: string, path: string, body?: string): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, agent, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0 }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `batches` batches of `size` calls of `frame` while probing /healthz; the probe's worst and median waits. */
export async function batchStall(baseUrl: string, size: number, frame: string, batches = 20) {
  const url = new URL(baseUrl);
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const attackAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const path = `/trpc/${Array.from({ length: size }, () => 'token.generate').join(',')}?batch=1`;
  const body = `{${Array.from({ length: size }, (_, index) => `"${index}":${frame}`).join(',')}}`;
  await timedRequest(probeAgent, url, 'GET', '/healthz');
  const attack = { running: true };
  const probes: number[] = [];
  const probing = (async () => {
    while (attack.running) probes.push((await timedRequest(probeAgent, url, 'GET', '/healthz')).ms);
  })();
  const answers: number[] = [];
  for (let batch = 0; batch < batches; batch++) {
    const answer = await timedRequest(attackAgent, url, 'POST', path, body);
    if (answer.status !== (frame === HOSTILE_FRAME ? 400 : 200)) throw new Error(`a batch answered ${answer.status}`);
    answers.push(answer.ms);
  }
  attack.running = false;
  await probing;
  probeAgent.destroy();
  attackAgent.destroy();
  return { worstProbeMs: Math.max(...probes), medianProbeMs: median(probes), probes: probes.length, medianBatchMs: median(answers) };
}
