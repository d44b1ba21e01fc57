/**
 * `agora-emulator`: Agora's Cloud Recording REST API on this machine, for a server
 * (AGORA_API_URL), curl, or any other language's Agora client. Configured from the environment
 * (src/config.ts); prints one JSON line per event.
 */
import { parseEmulatorEnv } from './config.js';
import { loadDevCredentials } from './dev-credentials.js';
import { jsonLineLogger } from './logger.js';
import { createEmulator } from './server.js';

async function main() {
  const parsed = parseEmulatorEnv(process.env);
  if (!parsed.ok) {
    process.stderr.write(`Invalid configuration, not starting:\n${parsed.errors.map((line) => `  - ${line}`).join('\n')}\n`);
    process.exit(1);
  }
  const config = parsed.config;
  const logger = jsonLineLogger();
  // With no App ID, the development one a server sharing DATA_DIR uses, so its tokens verify here.
  const app = config.app ?? (await loadDevCredentials(config.dataDir));
  const emulator = createEmulator({
    appId: app.appId,
    appCertificate: app.appCertificate,
    customerId: config.customerId,
    customerSecret: config.customerSecret,
    storageDir: config.storageDir,
    host: config.host,
    port: config.port,
    limits: { requestsPerSecond: config.requestsPerSecond, maxConcurrentRecordings: config.maxConcurrentRecordings },
    logger,
    ...(config.webhook ? { webhook: config.webhook } : {}),
    channelEvents: config.channelEvents,
  });
  const url = await emulator.listen();
  logger.info(
    {
      url,
      appId: app.appId,
      customerId: config.customerId,
      storageDir: config.storageDir,
      notifications: config.webhook?.url ?? null,
      control: `${url}/_emulator/state`,
    },
    `Agora emulator listening on ${url} (Cloud Recording, Speech-to-Text, Conversational AI and channel management REST APIs, with test-pattern media)`,
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
