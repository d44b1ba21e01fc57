/**
 * Reads an AccessToken2 in the browser, to show what a token grants: "007" + base64 of zlib of
 * { signature, app id, issued at, expire, salt, services }, little-endian, strings with a u16
 * length. The signature cannot be checked here (the certificate stays on the server).
 */
export interface DecodedService {
  name: string;
  /** RTC: channel and uid; RTM and Chat: user id. */
  fields: string[];
  /** Privilege name → when it expires (null: never). */
  privileges: { name: string; expiresAt: Date | null }[];
}

export interface DecodedToken {
  appId: string;
  issuedAt: Date;
  expiresAt: Date;
  services: DecodedService[];
}

const SERVICES: Record<number, { name: string; fields: string[]; privileges: Record<number, string> }> = {
  1: {
    name: 'RTC',
    fields: ['channel', 'uid'],
    privileges: { 1: 'join channel', 2: 'publish audio', 3: 'publish video', 4: 'publish data stream' },
  },
  2: { name: 'RTM', fields: ['user id'], privileges: { 1: 'login' } },
  5: { name: 'Chat', fields: ['user id'], privileges: { 1: 'user', 2: 'app' } },
};

async function inflate(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function reader(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const u16 = () => ((offset += 2), view.getUint16(offset - 2, true));
  const u32 = () => ((offset += 4), view.getUint32(offset - 4, true));
  const raw = () => {
    const length = u16();
    if (offset + length > bytes.length) throw new RangeError('field runs past the end');
    return bytes.subarray((offset += length) - length, offset);
  };
  return { u16, u32, raw, text: () => new TextDecoder().decode(raw()) };
}

/** The token's grants, or an Error saying why it is not an AccessToken2. */
export async function decodeToken(token: string): Promise<DecodedToken> {
  if (!token.startsWith('007')) throw new Error('not an AccessToken2 (it does not start with 007)');
  const body = await inflate(Uint8Array.from(atob(token.slice(3)), (char) => char.charCodeAt(0)));
  const outer = reader(body);
  outer.raw(); // the signature
  const read = reader(body.subarray(2 + new DataView(body.buffer, body.byteOffset).getUint16(0, true)));
  const appId = read.text();
  const issueTs = read.u32();
  const expire = read.u32();
  read.u32(); // salt
  const services: DecodedService[] = [];
  for (let count = read.u16(); count > 0; count--) {
    const type = read.u16();
    const known = SERVICES[type];
    const privileges: DecodedService['privileges'] = [];
    for (let n = read.u16(); n > 0; n--) {
      const id = read.u16();
      const seconds = read.u32();
      privileges.push({
        name: known?.privileges[id] ?? `privilege ${id}`,
        expiresAt: seconds === 0 ? null : new Date((issueTs + seconds) * 1000),
      });
    }
    if (!known) throw new Error(`service ${type} is not one this console can read`);
    services.push({ name: known.name, fields: known.fields.map((label) => `${label}: ${read.text()}`), privileges });
  }
  return { appId, issuedAt: new Date(issueTs * 1000), expiresAt: new Date((issueTs + expire) * 1000), services };
}
