import { parseAccessToken, RTC_PUBLISH_AUDIO_PRIVILEGE, RTM_LOGIN_PRIVILEGE, RTM_SERVICE, signedWith } from '../access-token.js';
import { checkRecorderToken } from '../token-check.js';

/**
 * The tokens Conversational AI reads (README, "Conversational AI"): the agent's own token (RTC to
 * join and speak, RTM too when RTM is on) and `Authorization: agora token=…` on REST calls.
 */

export type AgentTokenVerdict = { ok: true; expiresAt: number } | { ok: false; reason: string };

/** Unix ms when a privilege granted for `seconds` from issue runs out (0: never). */
const privilegeEnd = (issueTs: number, seconds: number | undefined) =>
  seconds === undefined || seconds === 0 ? Number.POSITIVE_INFINITY : (issueTs + seconds) * 1000;

/**
 * The agent's token: for this App, channel and uid (a "0" agent uid takes only a uid-less token),
 * with the join and publish-audio privileges, and with RTM login for the same user when RTM is on;
 * not expired. Answers when the first privilege it needs runs out.
 */
export function checkAgentToken(options: {
  token: string;
  appId: string;
  appCertificate: string;
  channel: string;
  uid: string;
  rtm: boolean;
  nowMs: number;
}): AgentTokenVerdict {
  const rtc = checkRecorderToken({
    token: options.token,
    appId: options.appId,
    appCertificate: options.appCertificate,
    cname: options.channel,
    uid: options.uid,
    nowMs: options.nowMs,
  });
  if (!rtc.ok) return { ok: false, reason: rtc.code === 109 ? 'has expired' : rtc.reason.replace(/^invalid token: /, 'is invalid: ') };
  const token = parseAccessToken(options.token)!;
  const privileges = token.rtc!.privileges;
  const publish = privileges.get(RTC_PUBLISH_AUDIO_PRIVILEGE);
  if (publish === undefined) return { ok: false, reason: 'is invalid: no publish-audio privilege (the agent speaks)' };
  let expiresAt = Math.min(
    token.issueTs * 1000 + token.expire * 1000,
    privilegeEnd(token.issueTs, privileges.get(1)),
    privilegeEnd(token.issueTs, publish),
  );
  if (options.rtm) {
    const rtm = token.services.find((service) => service.type === RTM_SERVICE);
    if (!rtm) return { ok: false, reason: 'is invalid: no RTM service (advanced_features.enable_rtm is on)' };
    if (options.uid !== '0' && rtm.fields[0] !== options.uid) return { ok: false, reason: 'is invalid: RTM user is not the agent uid' };
    const login = rtm.privileges.get(RTM_LOGIN_PRIVILEGE);
    if (login === undefined) return { ok: false, reason: 'is invalid: no RTM login privilege' };
    expiresAt = Math.min(expiresAt, privilegeEnd(token.issueTs, login));
  }
  if (options.nowMs >= expiresAt) return { ok: false, reason: 'has expired' };
  return { ok: true, expiresAt };
}

/** `agora token=<token>` on a REST call: signed for this App, unexpired, and for `channel` when one is named. */
export function checkAuthToken(options: {
  token: string;
  appId: string;
  appCertificate: string;
  nowMs: number;
}): { ok: true; channel: string } | { ok: false; reason: string } {
  const token = parseAccessToken(options.token);
  if (!token) return { ok: false, reason: 'not an AccessToken2' };
  if (!signedWith(token, options.appCertificate)) return { ok: false, reason: 'signature does not match the App Certificate' };
  if (token.appId !== options.appId) return { ok: false, reason: 'issued for another App ID' };
  if (!token.rtc) return { ok: false, reason: 'no RTC service' };
  if (Math.floor(options.nowMs / 1000) >= token.issueTs + token.expire) return { ok: false, reason: 'token expired' };
  return { ok: true, channel: token.rtc.channel };
}
