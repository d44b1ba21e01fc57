export { createAgoraClient, DEFAULT_TIMEOUTS, type AgoraClient, type AgoraClientOptions, type AgoraTimeouts, type CallOptions, type QueryOptions } from './client.js';
export { AGORA_CODE_MEANINGS } from './codes.js';
export * from './errors.js';
export { planHosts, type AgoraArea } from './hosts.js';
export { createSlidingWindowBudget, unlimitedBudget, type RateBudget } from './rate-budget.js';
export { DEFAULT_RETRY, type RetryOptions } from './retry-policy.js';
export { readFileList, toMilliseconds } from './responses.js';
export type * from './types.js';
