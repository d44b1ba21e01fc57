import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** The last address normalised, and its form: request after request comes from the same few peers. */
let lastAddress = '';
let lastNormalised = '';

/** `::ffff:10.0.0.1` is 10.0.0.1: the same client whichever socket family it came in on. */
function normalise(address: string): string {
  if (address === lastAddress) return lastNormalised;
  const trimmed = address.trim();
  lastNormalised = /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(trimmed) ? trimmed.slice(7) : trimmed;
  lastAddress = address;
  return lastNormalised;
}

/** Parses TRUST_PROXY entries (addresses and CIDRs); returns the problem with the first bad one. */
export function parseTrustedProxies(entries: readonly string[]): { list: BlockList } | { error: string } {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefixText] = entry.split('/');
    const family = isIP(address);
    if (family === 0) return { error: `${JSON.stringify(entry)} is not an IP address or CIDR` };
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefixText === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = Number(prefixText);
    if (!/^\d+$/.test(prefixText) || prefix > (family === 4 ? 32 : 128))
      return { error: `${JSON.stringify(entry)} has a bad prefix length` };
    list.addSubnet(address, prefix, type);
  }
  return { list };
}

/**
 * The client's address. Behind trusted proxies (TRUST_PROXY) it is read from X-Forwarded-For, right
 * to left, stopping at the first address that is not a trusted proxy: entries a client wrote
 * itself sit to the left of what our proxies appended, so they are never believed.
 */
export function createClientAddress(trusted: BlockList | undefined) {
  const isTrusted = trustCheck(trusted);
  return (req: IncomingMessage): string => {
    let address = normalise(req.socket.remoteAddress ?? 'unknown');
    if (!trusted || !isTrusted(address)) return address;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map(normalise).filter(Boolean);
    while (hops.length > 0 && isTrusted(address)) {
      const next = hops.pop()!;
      if (isIP(next) === 0) break; // garbage in the header: keep the last address we can vouch for
      address = next;
    }
    return address;
  };
}

/** Whether a socket's peer address is one of the trusted proxies (their connections carry everyone's). */
export function createProxyCheck(trusted: BlockList | undefined): (address: string) => boolean {
  const isTrusted = trustCheck(trusted);
  return (address) => isTrusted(normalise(address));
}

function trustCheck(trusted: BlockList | undefined) {
  return (address: string) => {
    const family = isIP(address);
    return family !== 0 && trusted !== undefined && trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/** A Host header value we would put in a URL: a name or address and a port, nothing else. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const firstValue = (header: string | string[] | undefined) => (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();

/**
 * The server's origin as the caller reached it, for links it hands out (file links): PUBLIC_URL
 * when set; else the request's Host, with X-Forwarded-Proto and X-Forwarded-Host believed only
 * from a trusted proxy (TRUST_PROXY).
 */
export function createPublicOrigin(trusted: BlockList | undefined, publicUrl: string | undefined) {
  const isTrusted = trustCheck(trusted);
  // The last origin written and the Host and scheme it was written from: a client sends the same
  // Host on every request, and checking and joining it again was a share of a token request.
  let lastHost: string | undefined;
  let lastHttps = false;
  let lastOrigin = 'http://localhost';
  return (req: IncomingMessage): string => {
    if (publicUrl !== undefined) return publicUrl;
    const viaProxy = trusted !== undefined && isTrusted(normalise(req.socket.remoteAddress ?? ''));
    const https = viaProxy && firstValue(req.headers['x-forwarded-proto']) === 'https';
    const forwardedHost = viaProxy ? firstValue(req.headers['x-forwarded-host']) : undefined;
    const given = forwardedHost !== undefined && HOST.test(forwardedHost) ? forwardedHost : req.headers.host;
    if (given !== lastHost || https !== lastHttps) {
      lastOrigin = `${https ? 'https' : 'http'}://${given !== undefined && HOST.test(given) ? given : 'localhost'}`;
      lastHost = given;
      lastHttps = https;
    }
    return lastOrigin;
  };
}
