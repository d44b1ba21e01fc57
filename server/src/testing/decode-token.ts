import { SERVICE_TYPE } from '../tokens/token-format.js';
import { AccessToken2, ServiceChat, ServiceRtc, ServiceRtm } from './agora-token.js';

/** A parsed AccessToken2, with the fields Agora checks (docs/agora.md, "Access tokens"). */
export interface DecodedToken {
  appId: string;
  /** Unix seconds at build time. */
  issueTs: number;
  /** Lifetime in seconds from issueTs. */
  expire: number;
  salt: number;
  rtc?: { channel: string; uid: string; privileges: Record<number, number> };
  rtm?: { userId: string; privileges: Record<number, number> };
  chat?: { userId: string; privileges: Record<number, number> };
  serviceTypes: number[];
}

const text = (value: Buffer | string) => (typeof value === 'string' ? value : value.toString('utf8'));

function privileges(raw: Record<string, number>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const [id, seconds] of Object.entries(raw)) out[Number(id)] = seconds;
  return out;
}

/** Parses a `007…` token; undefined when it is not one. Does not check the signature. */
export function decodeToken(token: string): DecodedToken | undefined {
  const parsed = new AccessToken2();
  if (!parsed.from_string(token)) return undefined;
  const decoded: DecodedToken = {
    appId: text(parsed.appId),
    issueTs: parsed.issueTs,
    expire: parsed.expire,
    salt: parsed.salt,
    serviceTypes: parsed.services.map((service) => service.service_type()),
  };
  for (const service of parsed.services) {
    if (service instanceof ServiceRtc && service.service_type() === SERVICE_TYPE.rtc) {
      decoded.rtc = {
        channel: text(service.__channel_name),
        uid: text(service.__uid),
        privileges: privileges(service.__privileges),
      };
    } else if (service instanceof ServiceRtm) {
      decoded.rtm = { userId: text(service.__user_id), privileges: privileges(service.__privileges) };
    } else if (service instanceof ServiceChat) {
      decoded.chat = { userId: text(service.__user_id), privileges: privileges(service.__privileges) };
    }
  }
  return decoded;
}

/** True when the token's HMAC signature was made with this App Certificate. */
export function verifyTokenSignature(token: string, appCertificate: string): boolean {
  const parsed = new AccessToken2();
  return parsed.from_string(token) && parsed.verifySignature(appCertificate);
}
