export { createChannelService, type ChannelAccess, type ChannelService, type ChannelServiceOptions } from './service.js';
