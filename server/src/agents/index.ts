export { agentTopic, createAgentRuntime, type AgentRuntime, type AgentSettings } from './runtime.js';
export { createAgentService, type AgentService } from './service.js';
export { stateFromAgoraState } from './state.js';
