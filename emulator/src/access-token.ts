import { createHmac, timingSafeEqual } from 'node:crypto';
import { inflateSync } from 'node:zlib';

/**
 * Agora's AccessToken2, read from its format (README, "Access tokens") and not from any token
 * library, so the emulator checks the server's tokens with code the server does not share.
 *
 * "007" + base64(zlib(body)); body = u16-length signature, then the signed part: u16-length App ID,
 * u32 issueTs, u32 expire, u32 salt, u16 service count, services. All little-endian.
 */

export interface RtcGrant {
  channel: string;
  uid: string;
  /** Privilege id → seconds from issueTs (0: never expires). */
  privileges: Map<number, number>;
}

export interface TokenService {
  /** 1 RTC, 2 RTM, 5 Chat, 9 Conversational AI, 10 STT. */
  type: number;
  privileges: Map<number, number>;
  /** RTC and STT: channel and uid; RTM and Chat: user id. */
  fields: string[];
}

export interface ParsedToken {
  appId: string;
  issueTs: number;
  expire: number;
  salt: number;
  services: TokenService[];
  rtc: RtcGrant | undefined;
  signature: Buffer;
  signed: Buffer;
}

export const RTC_SERVICE = 1;
export const RTC_JOIN_PRIVILEGE = 1;
export const RTC_PUBLISH_AUDIO_PRIVILEGE = 2;
export const RTM_SERVICE = 2;
export const RTM_LOGIN_PRIVILEGE = 1;
/** Services whose fields after the privileges are known: how many length-prefixed strings follow. */
const STRING_FIELDS: Record<number, number> = { 1: 2, 2: 1, 5: 1, 9: 0, 10: 2 };

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}
  u16() {
    const value = this.buffer.readUInt16LE(this.offset);
    this.offset += 2;
    return value;
  }
  u32() {
    const value = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }
  bytes() {
    const length = this.u16();
    if (this.offset + length > this.buffer.length) throw new RangeError('field runs past the end');
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }
  string() {
    return this.bytes().toString('utf8');
  }
  get position() {
    return this.offset;
  }
  get done() {
    return this.offset >= this.buffer.length;
  }
}

/** Parses a token; undefined when it is not a well-formed AccessToken2. Does not check the signature. */
export function parseAccessToken(token: string): ParsedToken | undefined {
  if (!token.startsWith('007')) return undefined;
  try {
    const body = inflateSync(Buffer.from(token.slice(3), 'base64'));
    const outer = new Reader(body);
    const signature = outer.bytes();
    const signed = body.subarray(outer.position);
    const reader = new Reader(signed);
    const appId = reader.string();
    const issueTs = reader.u32();
    const expire = reader.u32();
    const salt = reader.u32();
    const services: TokenService[] = [];
    for (let count = reader.u16(); count > 0; count--) {
      const type = reader.u16();
      const privileges = new Map<number, number>();
      for (let n = reader.u16(); n > 0; n--) privileges.set(reader.u16(), reader.u32());
      const fieldCount = STRING_FIELDS[type];
      if (fieldCount === undefined) return undefined; // an unknown service: its length is unknown too
      services.push({ type, privileges, fields: Array.from({ length: fieldCount }, () => reader.string()) });
    }
    if (!reader.done) return undefined; // bytes after the services: not a token Agora made
    const rtcService = services.find((service) => service.type === RTC_SERVICE);
    const rtc = rtcService && { channel: rtcService.fields[0]!, uid: rtcService.fields[1]!, privileges: rtcService.privileges };
    return { appId, issueTs, expire, salt, services, rtc, signature, signed };
  } catch {
    return undefined;
  }
}

const hmac = (key: Buffer | string, message: Buffer | string) => createHmac('sha256', key).update(message).digest();

function u32le(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0);
  return buffer;
}

/** True when the signature was made with this App Certificate: key = HMAC(salt, HMAC(issueTs, certificate)). */
export function signedWith(token: ParsedToken, appCertificate: string): boolean {
  const key = hmac(u32le(token.salt), hmac(u32le(token.issueTs), appCertificate));
  const expected = hmac(key, token.signed);
  return expected.length === token.signature.length && timingSafeEqual(expected, token.signature);
}
