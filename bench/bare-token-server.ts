/**
 * The baseline for token-throughput.ts: a bare node:http server that parses the same JSON and
 * calls agora-token directly. No validation, no auth, no framework: the floor of the cost.
 */
import { createServer } from 'node:http';
import agora from 'agora-token';

const { RtcTokenBuilder, RtcRole } = agora;
const APP_ID = '970ca35de60c44645bbae8a215061b33';
const CERT = '5cfd2fd1755d40ecb72977518be15d3b';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { channel: string; uid: number; expireSeconds: number };
    const token = RtcTokenBuilder.buildTokenWithUid(
      APP_ID,
      CERT,
      body.channel,
      body.uid,
      RtcRole.PUBLISHER,
      body.expireSeconds,
      body.expireSeconds,
    );
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token }));
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
