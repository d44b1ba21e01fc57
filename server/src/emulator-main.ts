/**
 * `pnpm emulator`: the Cloud Recording emulator on its own, for pointing a server (AGORA_API_URL)
 * or any other Agora client at it. Reads its configuration from the environment.
 */
import { z } from 'zod';
import { parseConfig } from './config.js';
import { resolveCredentials } from './credentials.js';
import { createEmulator } from './emulator/index.js';
import { createLogger } from './logger.js';

const EmulatorEnv = z.object({
  EMULATOR_CUSTOMER_ID: z.string().min(1).default('emulator'),
  EMULATOR_CUSTOMER_SECRET: z.string().min(1).default('emulator-secret'),
});

async function main() {
  const parsed = parseConfig(process.env);
  const extra = EmulatorEnv.safeParse(process.env);
  if (!parsed.ok || !extra.success) {
    const errors = [...(parsed.ok ? [] : parsed.errors), ...(extra.success ? [] : extra.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))];
    process.stderr.write(`Invalid configuration, not starting:\n${errors.map((line) => `  - ${line}`).join('\n')}\n`);
    process.exit(1);
  }
  const config = parsed.config;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json') });
  // Same App ID and certificate as `pnpm start` in development mode, so its tokens verify here.
  const { credentials } = await resolveCredentials(config);
  const customerId = config.agora.customerId ?? extra.data.EMULATOR_CUSTOMER_ID;
  const customerSecret = config.agora.customerSecret ?? extra.data.EMULATOR_CUSTOMER_SECRET;
  const emulator = createEmulator({
    appId: credentials.appId,
    appCertificate: credentials.appCertificate,
    customerId,
    customerSecret,
    storageDir: config.emulator.storageDir,
    host: config.host,
    port: config.emulator.port ?? 4100,
    logger,
  });
  const url = await emulator.listen();
  logger.info(
    { url, appId: credentials.appId, customerId, storageDir: config.emulator.storageDir, control: `${url}/_emulator/state` },
    `Agora Cloud Recording emulator listening on ${url} (Agora's REST contract, no media)`,
  );
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
