/** Agora's service type numbers inside an AccessToken2 (docs/agora.md, "Access tokens"). */
export const SERVICE_TYPE = { rtc: 1, rtm: 2, chat: 5 } as const;

/** RTC privilege ids: 1 join channel, 2 publish audio, 3 publish video, 4 publish data. */
export const RTC_PRIVILEGE = { join: 1, publishAudio: 2, publishVideo: 3, publishData: 4 } as const;
