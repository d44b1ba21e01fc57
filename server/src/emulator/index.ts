export { createEmulator, CONTROL_PREFIX, type Emulator, type EmulatorOptions } from './server.js';
export { DEFAULT_LIMITS, DEFAULT_TIMING, type EmulatorCore, type EmulatorLimits, type EmulatorTiming, type Fault, type RequestLogEntry, type TaskView } from './core.js';
