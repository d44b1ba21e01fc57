export { createTokenIssuer, TokenBuildError, type TokenIssuer, type TokenIssuerOptions } from './build-token.js';
export { RTC_PRIVILEGE, SERVICE_TYPE } from './token-format.js';
