/**
 * `pnpm emulator`: the Cloud Recording emulator on its own, for pointing a server (AGORA_API_URL)
 * or any other Agora client at it. Reads its configuration from the environment.
 */
import { parseConfig } from './config.js';
import { resolveCredentials } from './credentials.js';
import { createEmulator } from './emulator/index.js';
import { createLogger } from './logger.js';

/** Basic credentials the emulator accepts when AGORA_CUSTOMER_ID/AGORA_CUSTOMER_SECRET are not set. */
const DEFAULT_CUSTOMER = { id: 'emulator', secret: 'emulator-secret' };

async function main() {
  // The same .env as `pnpm start`: AGORA_CUSTOMER_ID/SECRET are the credentials it accepts.
  const parsed = parseConfig(process.env, 'emulator');
  if (!parsed.ok) {
    process.stderr.write(`Invalid configuration, not starting:\n${parsed.errors.map((line) => `  - ${line}`).join('\n')}\n`);
    process.exit(1);
  }
  const config = parsed.config;
  const logger = createLogger({ level: config.logLevel, format: config.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json') });
  // Same App ID and certificate as `pnpm start` in development mode, so its tokens verify here.
  const { credentials } = await resolveCredentials(config);
  const customerId = config.agora.customerId ?? DEFAULT_CUSTOMER.id;
  const customerSecret = config.agora.customerSecret ?? DEFAULT_CUSTOMER.secret;
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
