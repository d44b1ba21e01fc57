import type { Logger } from '../logger.js';
import type { TokenIssuer } from '../tokens/index.js';

/** What every procedure can reach. Built once per HTTP request or WebSocket connection. */
export interface Context {
  logger: Logger;
  services: Services;
}

/** Long-lived services the routers call; created by createApp and shared by every request. */
export interface Services {
  tokens: TokenIssuer;
}
