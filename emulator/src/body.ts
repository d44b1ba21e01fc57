import type { IncomingMessage } from 'node:http';

/**
 * The emulator's own small body reader (it depends on nothing of the server's): the whole body as
 * text, or undefined once it passes `limit` bytes.
 */
export function readBodyText(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
