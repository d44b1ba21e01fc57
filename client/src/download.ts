/** Downloads a recording's files from their links into a folder (Node: the CLI's `download`). */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { RecordingObject } from '@agora-backend/shared';

export interface DownloadOutcome {
  fileName: string;
  /** Where it was written, or undefined when it was not. */
  path: string | undefined;
  bytes: number;
  /** Why it was not written. */
  error: string | undefined;
}

/** A file name from the server, checked to be one name inside the folder. */
function safeName(fileName: string): string {
  if (fileName === '' || fileName === '.' || fileName === '..' || /[/\\\0]/.test(fileName))
    throw new Error(`refusing the file name ${JSON.stringify(fileName)}`);
  return fileName;
}

async function downloadOne(file: RecordingObject, dir: string): Promise<DownloadOutcome> {
  const outcome = { fileName: file.fileName, path: undefined, bytes: 0 };
  if (file.url === null) return { ...outcome, error: file.unavailableReason ?? 'no link' };
  const path = join(dir, safeName(file.fileName));
  const partial = `${path}.part`;
  try {
    const response = await fetch(file.url);
    if (!response.ok || !response.body) return { ...outcome, error: `HTTP ${response.status}` };
    let bytes = 0;
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => (bytes += chunk.length));
    // Written beside, then renamed: an interrupted download never looks complete.
    await pipeline(body, createWriteStream(partial));
    await rename(partial, path);
    return { ...outcome, path, bytes, error: undefined };
  } catch (error) {
    await rm(partial, { force: true });
    return { ...outcome, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Downloads every linked file into `dir` (made if missing), a few at a time. */
export async function downloadFiles(files: RecordingObject[], dir: string, concurrency = 4): Promise<DownloadOutcome[]> {
  await mkdir(dir, { recursive: true });
  const outcomes: DownloadOutcome[] = new Array<DownloadOutcome>(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next++;
      outcomes[index] = await downloadOne(files[index]!, dir);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return outcomes;
}
