export { createTokenIssuer, TokenBuildError, type TokenIssuer, type TokenIssuerOptions } from './build-token.js';
export { decodeToken, verifyTokenSignature, type DecodedToken } from './decode-token.js';
export { RTC_PRIVILEGE, SERVICE_TYPE } from './token-format.js';
