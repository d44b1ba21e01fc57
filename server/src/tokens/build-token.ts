import type { ParsedTokenGenerateInput, TokenGenerateOutput } from '@agora-backend/shared';
import { AppErrorCode, DEFAULT_TOKEN_SECONDS } from '@agora-backend/shared';
import type { Clock } from '../clock.js';
import { CodedError } from '../errors.js';
import { encodeAccessToken2, type TokenService } from './access-token2.js';
import { RTC_PRIVILEGE, SERVICE_TYPE } from './token-format.js';

/** The App ID or certificate is not 32 hex characters: no token can be signed with them. */
export class TokenBuildError extends CodedError {
  override readonly name = 'TokenBuildError';
  readonly appCode = AppErrorCode.TOKEN_BUILD_FAILED;
  readonly code = 'TOKEN_BUILD_FAILED';
  constructor() {
    super('cannot build a token: the App ID or App Certificate is malformed');
  }
}

export interface TokenIssuerOptions {
  appId: string;
  appCertificate: string;
  clock: Clock;
}

export interface TokenIssuer {
  /** Builds the token a validated `token.generate` input asks for. */
  issue(input: ParsedTokenGenerateInput): TokenGenerateOutput;
  /**
   * A Conversational AI agent's token: RTC (join and publish, for its uid in the channel) and RTM
   * (login as the same uid) in one AccessToken2, as Agora requires of an agent.
   */
  issueAgent(target: { channel: string; uid: string; expireSeconds: number }): { token: string; expiresAt: number };
}

const RTM_LOGIN = 1;
const CHAT_USER = 1;
const CHAT_APP = 2;

/** The service a validated input asks for, and what the answer says about it. */
function serviceFor(
  input: ParsedTokenGenerateInput,
  expireSeconds: number,
): { service: TokenService; about: Partial<TokenGenerateOutput> } {
  switch (input.kind) {
    case 'rtc': {
      const seconds = input.privilegeExpireSeconds ?? expireSeconds;
      // As Agora's RtcTokenBuilder: subscribers get join only; the difference matters only when
      // co-host authentication is enabled for the project.
      const ids =
        input.role === 'publisher'
          ? [RTC_PRIVILEGE.join, RTC_PRIVILEGE.publishAudio, RTC_PRIVILEGE.publishVideo, RTC_PRIVILEGE.publishData]
          : [RTC_PRIVILEGE.join];
      // uid 0 is written as '' (a token any uid may use), as Agora's builders write it.
      const uid = input.uid === 0 ? '' : String(input.uid);
      return {
        service: { type: SERVICE_TYPE.rtc, privileges: ids.map((id) => [id, seconds] as const), fields: [input.channel, uid] },
        about: { channel: input.channel, uid: input.uid, role: input.role },
      };
    }
    case 'rtm':
      return {
        service: { type: SERVICE_TYPE.rtm, privileges: [[RTM_LOGIN, expireSeconds]], fields: [input.userId] },
        about: { userId: input.userId },
      };
    case 'chat':
      return input.userId === undefined
        ? { service: { type: SERVICE_TYPE.chat, privileges: [[CHAT_APP, expireSeconds]], fields: [''] }, about: {} }
        : {
            service: { type: SERVICE_TYPE.chat, privileges: [[CHAT_USER, expireSeconds]], fields: [input.userId] },
            about: { userId: input.userId },
          };
  }
}

/**
 * Issues Agora AccessToken2 tokens with our own encoder (access-token2.ts; agora-token is the
 * reference its tests compare with), composed as Agora's RTC/RTM/Chat builders compose them, with
 * `issueTs` from the injected clock so issuedAt/expiresAt are exact and tests control time.
 */
export function createTokenIssuer({ appId, appCertificate, clock }: TokenIssuerOptions): TokenIssuer {
  const wellFormed = /^[0-9a-fA-F]{32}$/.test(appId) && /^[0-9a-fA-F]{32}$/.test(appCertificate);
  return {
    issue(input) {
      if (!wellFormed) throw new TokenBuildError();
      const issueTs = Math.floor(clock.now() / 1000);
      const expireSeconds = input.expireSeconds ?? input.expireTime ?? DEFAULT_TOKEN_SECONDS;
      const { service, about } = serviceFor(input, expireSeconds);
      const token = encodeAccessToken2({ appId, appCertificate, issueTs, expire: expireSeconds, services: [service] });
      return {
        token,
        kind: input.kind,
        appId,
        issuedAt: new Date(issueTs * 1000),
        expiresAt: new Date((issueTs + expireSeconds) * 1000),
        ...about,
      };
    },
    issueAgent({ channel, uid, expireSeconds }) {
      if (!wellFormed) throw new TokenBuildError();
      const issueTs = Math.floor(clock.now() / 1000);
      const rtc: TokenService = {
        type: SERVICE_TYPE.rtc,
        privileges: [RTC_PRIVILEGE.join, RTC_PRIVILEGE.publishAudio, RTC_PRIVILEGE.publishVideo, RTC_PRIVILEGE.publishData].map(
          (id) => [id, expireSeconds] as const,
        ),
        fields: [channel, uid],
      };
      const rtm: TokenService = { type: SERVICE_TYPE.rtm, privileges: [[RTM_LOGIN, expireSeconds]], fields: [uid] };
      const token = encodeAccessToken2({ appId, appCertificate, issueTs, expire: expireSeconds, services: [rtc, rtm] });
      return { token, expiresAt: (issueTs + expireSeconds) * 1000 };
    },
  };
}
