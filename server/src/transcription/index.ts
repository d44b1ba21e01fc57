export { createTranscriptionRuntime, transcriptionTopic, type TranscriptionRuntime, type TranscriptionSettings } from './runtime.js';
export { createTranscriptionService, type TranscriptionService } from './service.js';
export { stateFromAgentStatus } from './state.js';
