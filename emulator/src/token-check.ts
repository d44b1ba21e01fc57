import { parseAccessToken, RTC_JOIN_PRIVILEGE, signedWith } from './access-token.js';

export type TokenVerdict = { ok: true } | { ok: false; code: 109 | 110; reason: string };

/**
 * Checks the recorder's RTC token as Agora does when the App Certificate is on: signed with this
 * App's certificate, for this App ID, channel and uid (an empty or "0" uid admits any), with the
 * join privilege, and not expired. 110 = invalid, 109 = expired.
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
  const token = parseAccessToken(options.token);
  if (!token) return invalid('not an AccessToken2');
  if (!signedWith(token, options.appCertificate)) return invalid('signature does not match the App Certificate');
  if (token.appId !== options.appId) return invalid('issued for another App ID');
  const rtc = token.rtc;
  if (!rtc) return invalid('no RTC service');
  if (rtc.channel !== options.cname) return invalid('issued for another channel');
  if (rtc.uid !== '' && rtc.uid !== '0' && rtc.uid !== options.uid) return invalid('issued for another uid');
  const join = rtc.privileges.get(RTC_JOIN_PRIVILEGE);
  if (join === undefined) return invalid('no join privilege');
  const nowSeconds = Math.floor(options.nowMs / 1000);
  if (nowSeconds >= token.issueTs + token.expire) return { ok: false, code: 109, reason: 'token expired' };
  // Privilege 0 never expires; otherwise it is seconds from issueTs.
  if (join !== 0 && nowSeconds >= token.issueTs + join) return { ok: false, code: 109, reason: 'token expired' };
  return { ok: true };
}
