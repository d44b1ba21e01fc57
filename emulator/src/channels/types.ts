/**
 * RTC channels as the emulator keeps them (README, "Channels"): who is in each channel with which
 * role, platform and join time, the channel's profile, and the App's ban ("kicking") rules.
 */

/** The channel profile: Agora's `mode` 1 (communication) or 2 (live broadcasting). */
export const PROFILES = ['communication', 'live_broadcasting'] as const;
export type Profile = (typeof PROFILES)[number];

/** A user's role as the user-status query numbers it: 1 communication user, 2 host, 3 audience. */
export type Role = 'communication' | 'host' | 'audience';
export const ROLE_NUMBER: Record<Role, number> = { communication: 1, host: 2, audience: 3 };

/** Why a user left, as channel event notices number it. */
export const LEAVE_REASON = { quit: 1, banned: 3 } as const;

export const PRIVILEGES = ['join_channel', 'publish_audio', 'publish_video'] as const;
export type Privilege = (typeof PRIVILEGES)[number];

export interface ChannelUser {
  uid: string;
  role: Role;
  /** Agora's platform number: 1 Android, 2 iOS, 5 Windows, 6 Linux, 7 Web, 8 macOS, 0 other. */
  platform: number;
  joinedAt: number;
  /** Only users given an address can be matched by an `ip` rule. */
  ip: string | undefined;
}

export interface Channel {
  name: string;
  /** Kept while the channel is empty: the profile belongs to the channel name. */
  profile: Profile;
  /** uid → user, in join order. */
  users: Map<string, ChannelUser>;
  /** When the current session of the channel began (its first user joined); undefined while empty. */
  createdAt: number | undefined;
}

export interface BanRule {
  id: number;
  opid: number;
  cname: string | undefined;
  uid: number | undefined;
  ip: string | undefined;
  privileges: Privilege[];
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
}

/** Everything about channels the world holds. */
export interface ChannelWorld {
  channels: Map<string, Channel>;
  rules: Map<number, BanRule>;
  nextRuleId: number;
  nextOpid: number;
  /** The last channel event's clientSeq: each one is larger. */
  lastSeq: number;
  /** Whether channel event notices are sent (a product of its own in Agora's console). */
  eventsOn: boolean;
}

export interface ChannelUserView {
  uid: string;
  role: Role;
  platform: number;
  joinedAt: number;
  ip: string | undefined;
  /** Publishing now: a host or communication user whose audio and video are not both banned. */
  publishing: boolean;
  banned: Privilege[];
}

export interface ChannelView {
  cname: string;
  profile: Profile;
  users: ChannelUserView[];
  publishers: string[];
}
