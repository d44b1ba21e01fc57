import type { ParsedTokenGenerateInput, TokenGenerateOutput } from '@agora-backend/shared';
import { DEFAULT_TOKEN_SECONDS } from '@agora-backend/shared';
import type { Clock } from '../clock.js';
import { AccessToken2, RTC_PRIVILEGE, ServiceChat, ServiceRtc, ServiceRtm } from './token-format.js';

/** agora-token returned an empty string: the App ID or certificate is not 32 hex characters. */
export class TokenBuildError extends Error {
  override readonly name = 'TokenBuildError';
  readonly code = 'TOKEN_BUILD_FAILED';
  constructor() {
    super('agora-token refused to build a token: the App ID or App Certificate is malformed');
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
}

/**
 * Issues Agora AccessToken2 tokens with agora-token's own classes. We compose AccessToken2 the way
 * its RtcTokenBuilder / RtmTokenBuilder / ChatTokenBuilder do, but pass `issueTs` from the injected
 * clock, so issuedAt/expiresAt are exact and tests control time.
 * @see https://docs.agora.io/en/video-calling/token-authentication/deploy-token-server
 */
export function createTokenIssuer({ appId, appCertificate, clock }: TokenIssuerOptions): TokenIssuer {
  return {
    issue(input) {
      const issueTs = Math.floor(clock.now() / 1000);
      const expireSeconds = input.expireSeconds ?? input.expireTime ?? DEFAULT_TOKEN_SECONDS;
      const accessToken = new AccessToken2(appId, appCertificate, issueTs, expireSeconds);
      const base = {
        kind: input.kind,
        appId,
        issuedAt: new Date(issueTs * 1000),
        expiresAt: new Date((issueTs + expireSeconds) * 1000),
      };
      let result: Omit<TokenGenerateOutput, 'token'>;

      switch (input.kind) {
        case 'rtc': {
          const privilegeSeconds = input.privilegeExpireSeconds ?? expireSeconds;
          const service = new ServiceRtc(input.channel, input.uid);
          service.add_privilege(RTC_PRIVILEGE.join, privilegeSeconds);
          // As RtcTokenBuilder: subscribers get join only; the difference matters only when
          // co-host authentication is enabled for the project.
          if (input.role === 'publisher') {
            service.add_privilege(RTC_PRIVILEGE.publishAudio, privilegeSeconds);
            service.add_privilege(RTC_PRIVILEGE.publishVideo, privilegeSeconds);
            service.add_privilege(RTC_PRIVILEGE.publishData, privilegeSeconds);
          }
          accessToken.add_service(service);
          result = { ...base, channel: input.channel, uid: input.uid, role: input.role };
          break;
        }
        case 'rtm': {
          const service = new ServiceRtm(input.userId);
          service.add_privilege(ServiceRtm.kPrivilegeLogin, expireSeconds);
          accessToken.add_service(service);
          result = { ...base, userId: input.userId };
          break;
        }
        case 'chat': {
          const service = new ServiceChat(input.userId);
          if (input.userId === undefined) service.add_privilege(ServiceChat.kPrivilegeApp, expireSeconds);
          else service.add_privilege(ServiceChat.kPrivilegeUser, expireSeconds);
          accessToken.add_service(service);
          result = input.userId === undefined ? base : { ...base, userId: input.userId };
          break;
        }
      }

      const token = accessToken.build();
      // agora-token signals a malformed App ID or certificate with "", never with an exception.
      if (token === '') throw new TokenBuildError();
      return { token, ...result };
    },
  };
}
