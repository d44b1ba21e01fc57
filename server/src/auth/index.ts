export * from './caller.js';
export * from './authenticator.js';
export * from './rate-limit.js';
