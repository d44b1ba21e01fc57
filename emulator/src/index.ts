export { createEmulator, type Emulator, type EmulatorOptions } from './server.js';
export { CONTROL_PREFIX } from './control.js';
export { createEmulatorCore, type EmulatorCore, type EmulatorCoreOptions } from './core.js';
export { createManualClock, systemClock, type Clock, type ManualClock } from './clock.js';
export { jsonLineLogger, silentLogger, type EmulatorLogger } from './logger.js';
export {
  signNotice,
  CLOUD_RECORDING_PRODUCT_ID,
  type DeliveryBehaviour,
  type NoticeLogEntry,
  type NotificationTarget,
} from './notifications.js';
export { loadDevCredentials, type DevCredentials } from './dev-credentials.js';
export { parseAccessToken, signedWith, type ParsedToken, type TokenService } from './access-token.js';
export { CONVO_PRODUCT_ID } from './convoai/lifecycle.js';
export { CHANNEL_EVENT, CHANNEL_EVENTS_PRODUCT_ID, type JoinOutcome, type JoinRequest } from './channels/model.js';
export {
  PRIVILEGES,
  PROFILES,
  type BanRule,
  type ChannelUserView,
  type ChannelView,
  type Privilege,
  type Profile,
} from './channels/types.js';
export {
  CONVO_STATES,
  FAILURE_MODULES,
  type ConvoAgentView,
  type ConvoStatus,
  type FailureModule,
  type HistoryEntry,
} from './convoai/types.js';
export {
  DEFAULT_LIMITS,
  DEFAULT_TIMING,
  ENDPOINTS,
  type EmulatorLimits,
  type EmulatorTiming,
  type Endpoint,
  type Fault,
  type RequestLogEntry,
  type TaskView,
} from './types.js';
