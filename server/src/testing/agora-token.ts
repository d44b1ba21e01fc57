import agoraTokenInternals from 'agora-token/src/AccessToken2.js';

/**
 * agora-token's AccessToken2 classes, the reference our encoder is tested against (the server
 * itself does not load agora-token); one import site so the CommonJS interop lives here.
 */
export const { AccessToken2, ServiceRtc, ServiceRtm, ServiceChat } = agoraTokenInternals;
