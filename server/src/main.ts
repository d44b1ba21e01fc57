/**
 * The entry point: the only module that reads process.env, opens ports and installs signal handlers
 * (docs/architecture.md, "Rings"). It reads the configuration, logs, composes (compose.ts), listens
 * and stops on signals.
 */
import { composeServer } from './compose.js';
import { parseConfig } from './config.js';
import { checkPorts } from './http/port-check.js';
import { createLogger } from './logger.js';

/** Writes why the server is not starting, one line per problem, and exits 1. */
function refuse(heading: string, problems: string[]): never {
  process.stderr.write(`${heading}\n${problems.map((line) => `  - ${line}`).join('\n')}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) refuse('Invalid configuration, not starting:', parsed.errors);
  const config = parsed.config;
  const embedded = config.agora.customerId === undefined || config.agora.customerSecret === undefined;
  const emulatorPort = embedded ? config.emulator.port : undefined;
  const portProblems = await checkPorts({ host: config.host, port: config.port, emulatorPort });
  if (portProblems.length > 0) refuse('Cannot listen, not starting (nothing was created):', portProblems);
  const logger = createLogger({ level: config.logLevel, format: config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json') });
  const { app, listen } = await composeServer(config, logger);
  await listen();

  let stopping = false;
  const exitWith = (code: number) => {
    logger.flush();
    process.exit(code);
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => {
        logger.info('stopped');
        exitWith(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exitWith(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The edge answers every request itself; a rejection nobody awaited is a bug to log, not a
  // reason to drop every watcher and in-flight recording call with the process.
  process.on('unhandledRejection', (reason: unknown) => {
    logger.error({ err: reason }, 'unhandled promise rejection (the server keeps running)');
  });
  process.on('uncaughtException', (error: Error) => {
    // State may be inconsistent after a synchronous throw nobody caught: stop cleanly, exit 1.
    logger.fatal({ err: error }, 'uncaught exception: shutting down');
    void app.close().finally(() => exitWith(1));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
