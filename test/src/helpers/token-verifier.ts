/**
 * An independent reader of Agora AccessToken2 ("007") tokens, written from the layout in
 * docs/agora.md ("Access tokens") and not from agora-token, so tests can catch our builder and the
 * library disagreeing with the documented format.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { inflateSync } from 'node:zlib';

export interface VerifiedService {
  type: number;
  privileges: Map<number, number>;
  /** RTC: channel and uid; RTM and chat: userId. */
  fields: string[];
}

export interface VerifiedToken {
  appId: string;
  issueTs: number;
  expire: number;
  salt: number;
  services: VerifiedService[];
  signatureValid: boolean;
}

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

const hmac = (key: Buffer | string, message: Buffer) => createHmac('sha256', key).update(message).digest();
const u32le = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
};

/** Field layout per service type after the privileges (docs/agora.md, "Access tokens"). */
const SERVICE_FIELDS: Record<number, number> = { 1: 2, 2: 1, 5: 1 };

export function readToken(token: string, appCertificate: string): VerifiedToken {
  if (!token.startsWith('007')) throw new Error(`not an AccessToken2: ${token.slice(0, 3)}`);
  const body = inflateSync(Buffer.from(token.slice(3), 'base64'));
  const outer = new Reader(body);
  const signature = outer.bytes();
  const signingInfo = body.subarray(outer.position);
  const reader = new Reader(signingInfo);
  const appId = reader.string();
  const issueTs = reader.u32();
  const expire = reader.u32();
  const salt = reader.u32();
  const serviceCount = reader.u16();
  const services: VerifiedService[] = [];
  for (let i = 0; i < serviceCount; i++) {
    const type = reader.u16();
    const privilegeCount = reader.u16();
    const privileges = new Map<number, number>();
    for (let p = 0; p < privilegeCount; p++) privileges.set(reader.u16(), reader.u32());
    const fieldCount = SERVICE_FIELDS[type];
    if (fieldCount === undefined) throw new Error(`unexpected service type ${type}`);
    const fields: string[] = [];
    for (let f = 0; f < fieldCount; f++) fields.push(reader.string());
    services.push({ type, privileges, fields });
  }
  if (!reader.done) throw new Error('trailing bytes after the services');
  const k1 = hmac(u32le(issueTs), Buffer.from(appCertificate, 'utf8'));
  const k2 = hmac(u32le(salt), k1);
  const expected = hmac(k2, signingInfo);
  const signatureValid = expected.length === signature.length && timingSafeEqual(expected, signature);
  return { appId, issueTs, expire, salt, services, signatureValid };
}
