export { createChannelService, forbidden, type ChannelAccess, type ChannelService, type ChannelServiceOptions } from './service.js';
export { CHANNEL_EVENTS_PRODUCT, channelNoticeOf, type ChannelNotice } from './notice.js';
export { createPresence, presenceTopic, type Presence, type PresenceOptions } from './presence.js';
