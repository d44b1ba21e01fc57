/**
 * `@agora-backend/server/testing`: what tests and benchmarks drive the server with, kept out of the
 * public entry: a fake clock and its driver, the emulator of Agora's APIs, and a token decoder
 * built on agora-token (a devDependency: the reference our encoder is tested against).
 */
export { createFakeClock, type FakeClock } from '../clock.js';
export { drive, recordSleeps } from './drive.js';
export { decodeToken, verifyTokenSignature, type DecodedToken } from './decode-token.js';
export { createEmulator, type Emulator, type EmulatorOptions } from '@agora-backend/emulator';
