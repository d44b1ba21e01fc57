import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.1` is 10.0.0.1: the same client whichever socket family it came in on. */
function normalise(address: string): string {
  const trimmed = address.trim();
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(trimmed) ? trimmed.slice(7) : trimmed;
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
    if (!/^\d+$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) return { error: `${JSON.stringify(entry)} has a bad prefix length` };
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
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && trusted !== undefined && trusted.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
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
