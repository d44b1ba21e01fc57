export { createRecordingService, toRecording, type RecordingService, type RecordingServiceOptions } from './service.js';
export { createWatchdog } from './watchdog.js';
export { stateFromAgoraStatus } from './state.js';
export { createRecordingRuntime, NOTICE_MEMORY_MS, type RecordingRuntime, type RecordingSettings } from './runtime.js';
