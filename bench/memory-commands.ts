/**
 * The memory commands a bench server answers on stdin, one JSON line each (the server runs with
 * --expose-gc): `measure` collects garbage and reports what is retained, so benches compare live
 * memory rather than whenever the collector last ran; `snapshot <path>` writes a heap snapshot
 * there after a collection (BENCH_HEAP_SNAPSHOTS in watch-per-connection.ts).
 */
import { createInterface } from 'node:readline';
import { writeHeapSnapshot } from 'node:v8';

export function answerMemoryCommands(): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.startsWith('snapshot ')) {
      globalThis.gc?.();
      process.stdout.write(`${JSON.stringify({ snapshot: writeHeapSnapshot(line.slice('snapshot '.length)) })}\n`);
      return;
    }
    if (line.trim() !== 'measure') return;
    globalThis.gc?.();
    const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ memory: { heapUsed, rss, external, arrayBuffers } })}\n`);
  });
}
