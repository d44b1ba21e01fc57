/**
 * The hop baseline for recording-overhead.ts: a bare node:http server that reads a POSTed body and
 * answers `{}`. A call through any backend crosses one such hop that a direct call to Agora does
 * not; this is its cost on this machine, with no work behind it.
 */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
