/**
 * The ceiling for token-throughput.ts (issue 35): a bare node:http server that builds the token
 * with *our* encoder (createTokenIssuer, as the real server does) and makes the checks the
 * tutorial's `POST /api/token.json` makes (required fields by their falsiness, the role), nothing
 * else: no origin policy, body limit, authentication, rate limit or schema. What any Node server
 * must spend to read a request and build our token; our surfaces are measured against it.
 */
import { createServer } from 'node:http';
import { systemClock } from '../server/src/clock.js';
import { createTokenIssuer } from '../server/src/tokens/index.js';

// The bench's app (lib.ts), not imported: lib.ts pins the process to a core on import.
const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CERT = '5cfd2fd1755d40ecb72977518be15d3b';
const issuer = createTokenIssuer({ appId: APP_ID, appCertificate: CERT, clock: systemClock });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    // The tutorial's own checks, in its order and words.
    const missing = ['channel', 'uid', 'expireTime'].find((field) => !body[field]);
    const problem =
      missing !== undefined
        ? `${missing} is required`
        : body.role === 'publisher' || body.role === 'subscriber'
          ? undefined
          : 'role is incorrect';
    if (problem !== undefined) {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(problem);
      return;
    }
    const { token } = issuer.issue({
      kind: 'rtc',
      channel: String(body.channel),
      uid: Number(body.uid),
      role: body.role === 'subscriber' ? 'subscriber' : 'publisher',
      expireSeconds: Number(body.expireTime),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token }));
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
