import { loadDevCredentials } from '@agora-backend/emulator';
import type { EnvConfig } from './config.js';

/** The App ID and certificate every token is signed with. */
export interface AgoraCredentials {
  appId: string;
  appCertificate: string;
  /** REST credentials for Cloud Recording; absent means the built-in emulator is used. */
  customerId: string | undefined;
  customerSecret: string | undefined;
  /** True when the App ID and certificate were made up locally (no Agora account configured). */
  development: boolean;
}

/**
 * Real credentials when configured; otherwise a development App ID and certificate, created once
 * and kept under `dataDir` so tokens issued before a restart still verify after it (and a
 * standalone emulator sharing DATA_DIR checks them).
 */
export async function resolveCredentials(
  config: EnvConfig,
): Promise<{ credentials: AgoraCredentials; createdFile: string | undefined; file: string | undefined }> {
  const { appId, appCertificate, customerId, customerSecret } = config.agora;
  if (appId !== undefined && appCertificate !== undefined) {
    return {
      credentials: { appId, appCertificate, customerId, customerSecret, development: false },
      createdFile: undefined,
      file: undefined,
    };
  }
  const dev = await loadDevCredentials(config.dataDir);
  return {
    credentials: { appId: dev.appId, appCertificate: dev.appCertificate, customerId, customerSecret, development: true },
    createdFile: dev.created ? dev.file : undefined,
    file: dev.file,
  };
}
