import { createHmac, randomInt } from 'node:crypto';

/**
 * Agora's AccessToken2, encoded by us from the format (docs/agora.md, "Access tokens") rather
 * than by agora-token, which stays as the reference our tests compare against. Why: the token
 * path is the hottest one we serve, and agora-token spends most of its time in a fresh zlib
 * stream, three HMAC objects and small buffer copies per token.
 *
 * The body is wrapped in a zlib stream of *stored* blocks: valid zlib that any inflater reads,
 * costing one Adler-32 pass instead of a compressor. Tokens come out about a fifth longer than
 * agora-token's (the fields are random or short, so deflate saves little); see bench/README.md.
 */

export interface TokenService {
  /** 1 RTC, 2 RTM, 5 Chat. */
  type: number;
  /** Privilege id → seconds from issueTs (0: never expires). */
  privileges: ReadonlyMap<number, number> | readonly (readonly [number, number])[];
  /** RTC: channel and uid ('' for uid 0); RTM and Chat: the user id ('' for an app token). */
  fields: readonly string[];
}

export interface AccessToken2Input {
  appId: string;
  appCertificate: string;
  /** Unix seconds. */
  issueTs: number;
  /** Lifetime in seconds from issueTs. */
  expire: number;
  /** 1..99999999; random when omitted, as Agora's builders make it. */
  salt?: number;
  services: readonly TokenService[];
}

const HEX32 = /^[0-9a-fA-F]{32}$/;

/** Little-endian writer into one buffer sized up front. */
class Writer {
  private offset = 0;
  constructor(readonly buffer: Buffer) {}
  u16(value: number) {
    this.offset = this.buffer.writeUInt16LE(value, this.offset);
  }
  u32(value: number) {
    this.offset = this.buffer.writeUInt32LE(value >>> 0, this.offset);
  }
  bytes(value: Buffer) {
    this.u16(value.length);
    this.offset += value.copy(this.buffer, this.offset);
  }
  string(value: string) {
    this.u16(Buffer.byteLength(value));
    this.offset += this.buffer.write(value, this.offset, 'utf8');
  }
  get length() {
    return this.offset;
  }
}

/** Privileges in ascending id order, as Agora's builders write them. */
function entriesOf(privileges: TokenService['privileges']): (readonly [number, number])[] {
  const entries: (readonly [number, number])[] =
    'entries' in privileges && !Array.isArray(privileges)
      ? [...(privileges as ReadonlyMap<number, number>).entries()]
      : [...(privileges as readonly (readonly [number, number])[])];
  return entries.sort((a, b) => a[0] - b[0]);
}

function signingInfo(input: AccessToken2Input, salt: number): Buffer {
  const services = [...input.services].sort((a, b) => a.type - b.type);
  let size = 2 + Buffer.byteLength(input.appId) + 14;
  for (const service of services) {
    size += 4 + 6 * entriesOf(service.privileges).length;
    for (const field of service.fields) size += 2 + Buffer.byteLength(field);
  }
  const writer = new Writer(Buffer.allocUnsafe(size));
  writer.string(input.appId);
  writer.u32(input.issueTs);
  writer.u32(input.expire);
  writer.u32(salt);
  writer.u16(services.length);
  for (const service of services) {
    const privileges = entriesOf(service.privileges);
    writer.u16(service.type);
    writer.u16(privileges.length);
    for (const [id, seconds] of privileges) {
      writer.u16(id);
      writer.u32(seconds);
    }
    for (const field of service.fields) writer.string(field);
  }
  return writer.buffer;
}

function u32le(value: number): Buffer {
  const buffer = Buffer.allocUnsafe(4);
  buffer.writeUInt32LE(value >>> 0);
  return buffer;
}

/**
 * HMAC(issueTs, certificate): the same for every token of one second, so it is kept for that
 * second (under load, one HMAC in three per token; bench/README.md).
 */
let issueKey: { appCertificate: string; issueTs: number; value: Buffer } | undefined;
function issueKeyOf(appCertificate: string, issueTs: number): Buffer {
  if (issueKey?.issueTs !== issueTs || issueKey.appCertificate !== appCertificate) {
    issueKey = { appCertificate, issueTs, value: createHmac('sha256', u32le(issueTs)).update(appCertificate).digest() };
  }
  return issueKey.value;
}

/** key = HMAC(salt, HMAC(issueTs, certificate)); signature = HMAC(key, signing info). */
function sign(appCertificate: string, issueTs: number, salt: number, info: Buffer): Buffer {
  const first = issueKeyOf(appCertificate, issueTs);
  const key = createHmac('sha256', u32le(salt)).update(first).digest();
  return createHmac('sha256', key).update(info).digest();
}

const ADLER_MOD = 65_521;
/** Adler-32, in runs short enough that the sums cannot overflow before the modulo. */
function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (let start = 0; start < data.length; start += 3_800) {
    const end = Math.min(data.length, start + 3_800);
    for (let i = start; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  return ((b << 16) | a) >>> 0;
}

const STORED_MAX = 65_535;
/** A zlib stream (RFC 1950) holding `data` in stored deflate blocks (RFC 1951 §3.2.4). */
export function zlibStored(data: Buffer): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / STORED_MAX));
  const out = Buffer.allocUnsafe(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; // CMF: deflate, 32 KiB window
  out[1] = 0x01; // FLG: no dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0
  let offset = 2;
  for (let block = 0; block < blocks; block++) {
    const chunk = data.subarray(block * STORED_MAX, Math.min(data.length, (block + 1) * STORED_MAX));
    out[offset] = block === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    out.writeUInt16LE(chunk.length, offset + 1);
    out.writeUInt16LE(~chunk.length & 0xffff, offset + 3);
    offset += 5 + chunk.copy(out, offset + 5);
  }
  out.writeUInt32BE(adler32(data), offset);
  return out;
}

/** Builds a "007…" token; throws when the App ID or certificate is not 32 hex characters. */
export function encodeAccessToken2(input: AccessToken2Input): string {
  if (!HEX32.test(input.appId) || !HEX32.test(input.appCertificate)) {
    throw new RangeError('the App ID and App Certificate must be 32 hexadecimal characters');
  }
  const salt = input.salt ?? randomInt(1, 100_000_000);
  const info = signingInfo(input, salt);
  const signature = sign(input.appCertificate, input.issueTs, salt, info);
  const body = Buffer.allocUnsafe(2 + signature.length + info.length);
  body.writeUInt16LE(signature.length, 0);
  signature.copy(body, 2);
  info.copy(body, 2 + signature.length);
  return `007${zlibStored(body).toString('base64')}`;
}
