export * from './agora-names.js';
export * from './errors.js';
export * from './token.js';
export * from './recording.js';
export * from './transcription.js';
export * from './stt-locales.js';
export * from './admin.js';
export * from './agent.js';
