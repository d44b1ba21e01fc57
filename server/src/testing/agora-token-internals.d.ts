// agora-token 2.0.6 ships AccessToken2 untyped and outside its root exports (docs/agora.md, "Access tokens"): the
// tests read tokens with it (testing/agora-token.ts).
// These declarations cover only what we use; they follow src/AccessToken2.js of that version.
declare module 'agora-token/src/AccessToken2.js' {
  class Service {
    service_type(): number;
    add_privilege(privilege: number, expireSeconds: number): void;
    __privileges: Record<string, number>;
  }
  class ServiceRtc extends Service {
    constructor(channelName?: string, uid?: string | number);
    static kPrivilegeJoinChannel: 1;
    static kPrivilegePublishAudioStream: 2;
    static kPrivilegePublishVideoStream: 3;
    static kPrivilegePublishDataStream: 4;
    __channel_name: Buffer | string;
    __uid: Buffer | string;
  }
  class ServiceRtm extends Service {
    constructor(userId?: string);
    static kPrivilegeLogin: 1;
    __user_id: Buffer | string;
  }
  class ServiceChat extends Service {
    constructor(userId?: string);
    static kPrivilegeUser: 1;
    static kPrivilegeApp: 2;
    __user_id: Buffer | string;
  }
  class AccessToken2 {
    constructor(appId?: string, appCertificate?: string, issueTs?: number, expire?: number);
    appId: Buffer | string;
    issueTs: number;
    expire: number;
    salt: number;
    services: Service[];
    add_service(service: Service): void;
    build(): string;
    from_string(token: string): boolean;
    verifySignature(appCertificate: string): boolean;
  }
  // CommonJS: only the default import works at run time (tsx loads it as CommonJS).
  const internals: {
    AccessToken2: typeof AccessToken2;
    ServiceRtc: typeof ServiceRtc;
    ServiceRtm: typeof ServiceRtm;
    ServiceChat: typeof ServiceChat;
  };
  export default internals;
  export type { AccessToken2, ServiceRtc, ServiceRtm, ServiceChat };
}
