import { createServer } from 'node:net';

/** A port we are about to listen on, and the setting that chose it. */
interface WantedPort {
  setting: 'PORT' | 'EMULATOR_PORT';
  host: string;
  port: number;
}

/** Why a port cannot be listened on (the `listen` error's code), or undefined when it is free. */
function portProblem(wanted: WantedPort): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen(wanted.port, wanted.host, () => probe.close(() => resolve(undefined)));
  });
}

/** What to tell the operator about a port that is not free: which setting to change, and how. */
function portMessage(wanted: WantedPort, code: string): string {
  const where = `${wanted.host}:${wanted.port}`;
  const why =
    code === 'EADDRINUSE'
      ? 'is taken: another process listens there'
      : code === 'EACCES'
        ? 'needs privileges this process does not have'
        : `cannot be used (${code})`;
  const fix = `Stop that process, or set ${wanted.setting} to another port (0 picks a free one).`;
  return `${wanted.setting}=${wanted.port}: ${where} ${why}. ${fix}`;
}

/**
 * Checks the ports before anything is created (credentials, registry, emulator): a taken port
 * stops the server with the setting to change, not with EADDRINUSE after half a start-up.
 * Port 0 (a free one) is not checked. Answers one message per port that cannot be used.
 */
export async function checkPorts(ports: { host: string; port: number; emulatorPort: number | undefined }): Promise<string[]> {
  const wanted: WantedPort[] = [{ setting: 'PORT', host: ports.host, port: ports.port }];
  // The embedded emulator listens on loopback (it takes no credentials on its control API).
  if (ports.emulatorPort !== undefined) wanted.push({ setting: 'EMULATOR_PORT', host: '127.0.0.1', port: ports.emulatorPort });
  const checked = wanted.filter((entry) => entry.port !== 0);
  const problems = await Promise.all(checked.map(async (entry) => ({ entry, code: await portProblem(entry) })));
  return problems.flatMap(({ entry, code }) => (code === undefined ? [] : [portMessage(entry, code)]));
}
