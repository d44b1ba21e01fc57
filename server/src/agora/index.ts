export {
  createAgoraClient,
  DEFAULT_TIMEOUTS,
  type AgoraClient,
  type AgoraClientOptions,
  type AgoraTimeouts,
  type CallOptions,
  type QueryOptions,
} from './client.js';
export { AGORA_CODE_MEANINGS } from './codes.js';
export * from './errors.js';
export { planHosts, type AgoraArea } from './hosts.js';
export {
  backgroundLimit,
  createQueuedBudget,
  createSlidingWindowBudget,
  unlimitedBudget,
  type RateBudget,
  type RequestPriority,
} from './rate-budget.js';
export { DEFAULT_RETRY, type RetryOptions, type RetryOverrides } from './retry-policy.js';
export { readFileList, toMilliseconds } from './responses.js';
export type * from './types.js';
export { isAgentNotFound } from './speech-to-text.js';
export * from './speech-to-text-types.js';
export { isAgentNameConflict, isConversationalAgentNotFound } from './conversational-ai.js';
export * from './conversational-ai-types.js';
export { isBanCreateUnsettled, ruleMatches } from './channel-management.js';
export * from './channel-management-types.js';
