import agoraTokenInternals from 'agora-token/src/AccessToken2.js';

/**
 * Recorder tokens for the emulator's tests, built by Agora's own agora-token package (a dev
 * dependency) at a chosen issue time, so the emulator's token checks are tested against the
 * reference encoder and not against code of ours.
 */
const { AccessToken2, ServiceRtc } = agoraTokenInternals;

export function recorderTokenAt(options: { appId: string; appCertificate: string; channel: string; uid: string | number; atMs: number; expireSeconds: number }): string {
  const token = new AccessToken2(options.appId, options.appCertificate, Math.floor(options.atMs / 1000), options.expireSeconds);
  const uid = options.uid === 0 || options.uid === '0' ? '' : String(options.uid);
  const rtc = new ServiceRtc(options.channel, uid);
  rtc.add_privilege(ServiceRtc.kPrivilegeJoinChannel, options.expireSeconds);
  token.add_service(rtc);
  return token.build();
}
