import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { AppErrorCode } from '@agora-backend/shared';
import type { Clock } from '../clock.js';
import { CodedError } from '../errors.js';
import { LOCAL_OPERATOR, SCOPES, type Caller, type Scope } from './caller.js';

/** Why a credential was refused; the message is safe to show (it never repeats the credential). */
export class AuthenticationError extends CodedError {
  override readonly name = 'AuthenticationError';
  readonly appCode = AppErrorCode.UNAUTHENTICATED;
}

export interface Authenticator {
  readonly mode: 'none' | 'apikey' | 'jwt';
  /**
   * The caller behind a bearer credential, or throws (or rejects with) AuthenticationError. Modes
   * that need no I/O answer at once: a promise per request was a measurable hop on the token path.
   */
  authenticate(credential: string | undefined): Caller | Promise<Caller>;
}

export const ApiKeyEntry = z.object({
  /** A name for logs and `owner` fields, e.g. "web-backend". */
  id: z.string().min(1),
  /** `sha256:<hex>` of the key. The key itself is never stored. */
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, { error: 'must be sha256:<64 hex characters>' }),
  scopes: z.array(z.enum(['token', 'record', 'agent', 'moderate', 'admin'])).min(1),
  /** Channels the key may use (names or `*` patterns); default all. */
  channels: z.array(z.string().min(1)).default(['*']),
  /** The uid or user id the key acts as for token.generate; default the key's id. */
  subject: z.string().min(1).optional(),
});
export const ApiKeyList = z.array(ApiKeyEntry);
export type ApiKeyEntry = z.infer<typeof ApiKeyEntry>;

/** The hash API_KEYS stores for a key. Keys are random and long, so plain SHA-256 suffices. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function createNoAuth(): Authenticator {
  return { mode: 'none', authenticate: () => LOCAL_OPERATOR };
}

export function createApiKeyAuth(entries: ApiKeyEntry[]): Authenticator {
  const byHash = entries.map((entry) => ({ entry, digest: Buffer.from(entry.hash.slice('sha256:'.length), 'hex') }));
  return {
    mode: 'apikey',
    authenticate(credential) {
      if (!credential) throw new AuthenticationError('missing credentials: send Authorization: Bearer <api key>');
      const digest = createHash('sha256').update(credential).digest();
      // Compare against every entry in constant time; no early exit that times the match.
      let found: ApiKeyEntry | undefined;
      for (const candidate of byHash) if (timingSafeEqual(candidate.digest, digest)) found = candidate.entry;
      if (!found) throw new AuthenticationError('invalid API key');
      return { id: found.subject ?? found.id, scopes: new Set(found.scopes), channels: found.channels };
    },
  };
}

export interface JwtAuthOptions {
  secret?: string | undefined;
  jwksUrl?: string | undefined;
  audience?: string | undefined;
  issuer?: string | undefined;
  clockSkewSeconds: number;
  claims: { subject: string; channels: string; scope: string };
  clock: Clock;
}

export function createJwtAuth(options: JwtAuthOptions): Authenticator {
  const jwks: JWTVerifyGetKey | undefined = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : undefined;
  const secret = new TextEncoder().encode(options.secret ?? '');
  const verify = (token: string) => {
    const checks = {
      ...(options.audience ? { audience: options.audience } : {}),
      ...(options.issuer ? { issuer: options.issuer } : {}),
      clockTolerance: options.clockSkewSeconds,
      currentDate: new Date(options.clock.now()),
    };
    // A shared secret means HS256 only: no algorithm confusion with a public key.
    return jwks ? jwtVerify(token, jwks, checks) : jwtVerify(token, secret, { ...checks, algorithms: ['HS256'] });
  };
  return {
    mode: 'jwt',
    async authenticate(credential) {
      if (!credential) throw new AuthenticationError('missing credentials: send Authorization: Bearer <jwt>');
      let payload;
      try {
        ({ payload } = await verify(credential));
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) throw new AuthenticationError('token expired');
        if (error instanceof joseErrors.JWTClaimValidationFailed)
          throw new AuthenticationError(`token rejected: ${error.claim} claim check failed`);
        throw new AuthenticationError('invalid token');
      }
      const subject = payload[options.claims.subject];
      if (typeof subject !== 'string' && typeof subject !== 'number')
        throw new AuthenticationError(`token has no "${options.claims.subject}" claim`);
      const channelsClaim = payload[options.claims.channels];
      const channels = Array.isArray(channelsClaim) ? channelsClaim.filter((value): value is string => typeof value === 'string') : [];
      const scopeClaim = payload[options.claims.scope];
      const scopes = new Set<Scope>(
        (typeof scopeClaim === 'string' ? scopeClaim.split(' ') : []).filter((scope): scope is Scope =>
          (SCOPES as readonly string[]).includes(scope),
        ),
      );
      return { id: String(subject), scopes, channels };
    },
  };
}
