import type { Logger } from '../logger.js';
import type { RecordingService } from '../recording/index.js';
import type { TokenIssuer } from '../tokens/index.js';

/** What every procedure can reach. Built once per HTTP request or WebSocket connection. */
export interface Context {
  logger: Logger;
  services: Services;
  /** Who is calling. Until authentication lands every caller is the local operator. */
  caller: { id: string };
}

/** Long-lived services the routers call; created by createApp and shared by every request. */
export interface Services {
  tokens: TokenIssuer;
  /** The recording service; throws when Cloud Recording is not configured for this app. */
  recordings(): RecordingService;
}
