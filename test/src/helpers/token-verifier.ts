/**
 * Reads Agora AccessToken2 ("007") tokens with the emulator's reader, which is written from the
 * documented layout (docs/agora.md, "Access tokens") and shares no code with our builder or with
 * agora-token, so tests catch our builder and the library disagreeing with the format.
 */
import { parseAccessToken, signedWith, type TokenService } from '@agora-backend/emulator';

export type VerifiedService = TokenService;

export interface VerifiedToken {
  appId: string;
  issueTs: number;
  expire: number;
  salt: number;
  services: VerifiedService[];
  signatureValid: boolean;
}

export function readToken(token: string, appCertificate: string): VerifiedToken {
  const parsed = parseAccessToken(token);
  if (!parsed) throw new Error(`not a well-formed AccessToken2: ${token.slice(0, 12)}…`);
  const { appId, issueTs, expire, salt, services } = parsed;
  return { appId, issueTs, expire, salt, services, signatureValid: signedWith(parsed, appCertificate) };
}
