import { decodeToken, RTC_PRIVILEGE, verifyTokenSignature } from '../tokens/index.js';

export type TokenVerdict = { ok: true } | { ok: false; code: 109 | 110; reason: string };

/**
 * Checks the recorder's RTC token as Agora does when the App Certificate is on (docs/agora.md, "Endpoints"
 * and "Access tokens"): signed with this App's certificate, for this App ID, channel and uid (an empty uid admits
 * any), with the join privilege, and not expired. 110 = invalid, 109 = expired.
 */
export function checkRecorderToken(options: {
  token: string | undefined;
  appId: string;
  appCertificate: string;
  cname: string;
  uid: string;
  nowMs: number;
}): TokenVerdict {
  const invalid = (reason: string): TokenVerdict => ({ ok: false, code: 110, reason: `invalid token: ${reason}` });
  if (!options.token) return invalid('token is required when the App Certificate is enabled');
  const decoded = decodeToken(options.token);
  if (!decoded) return invalid('not an AccessToken2');
  if (!verifyTokenSignature(options.token, options.appCertificate)) return invalid('signature does not match the App Certificate');
  if (decoded.appId !== options.appId) return invalid('issued for another App ID');
  if (!decoded.rtc) return invalid('no RTC service');
  if (decoded.rtc.channel !== options.cname) return invalid('issued for another channel');
  if (decoded.rtc.uid !== '' && decoded.rtc.uid !== options.uid) return invalid('issued for another uid');
  const join = decoded.rtc.privileges[RTC_PRIVILEGE.join];
  if (join === undefined) return invalid('no join privilege');
  const nowSeconds = Math.floor(options.nowMs / 1000);
  if (nowSeconds >= decoded.issueTs + decoded.expire) return { ok: false, code: 109, reason: 'token expired' };
  // Privilege 0 never expires; otherwise it is seconds from issueTs.
  if (join !== 0 && nowSeconds >= decoded.issueTs + join) return { ok: false, code: 109, reason: 'token expired' };
  return { ok: true };
}
