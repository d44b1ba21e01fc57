import agoraTokenInternals from 'agora-token/src/AccessToken2.js';

/** The parts of agora-token we build on; one import site so the CommonJS interop lives here. */
export const { AccessToken2, ServiceRtc, ServiceRtm, ServiceChat } = agoraTokenInternals;

/** Agora's service type numbers inside an AccessToken2 (docs/agora.md, "Access tokens"). */
export const SERVICE_TYPE = { rtc: 1, rtm: 2, chat: 5 } as const;

/** RTC privilege ids: 1 join channel, 2 publish audio, 3 publish video, 4 publish data. */
export const RTC_PRIVILEGE = { join: 1, publishAudio: 2, publishVideo: 3, publishData: 4 } as const;
