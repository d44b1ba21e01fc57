/** `pnpm bench`: every benchmark script in turn, each printing its own table. */
import { spawnSync } from 'node:child_process';

const scripts = ['token-throughput.ts', 'recording-overhead.ts', 'watch-fanout.ts'];
for (const script of scripts) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', new URL(`./${script}`, import.meta.url).pathname], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
