import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { AgoraApiError, AgoraNetworkError, AgoraResponseError, AgoraTimeoutError } from '../agora/index.js';
import { AppErrorCode } from '@agora-backend/shared';
import { AppError, ERROR_TABLE } from '../errors.js';
import { UidTakenError } from '../store/index.js';
import { createLogger } from '../logger.js';
import { answerToError } from './respond.js';
import { statusOfError } from './trpc-internals.js';

const logger = createLogger({ level: 'silent' });

describe('the error table', () => {
  it("gives each app code tRPC's own status for its tRPC code (416 aside: tRPC has no code for it)", () => {
    for (const [appCode, row] of Object.entries(ERROR_TABLE)) {
      if (appCode === 'RANGE_NOT_SATISFIABLE') continue;
      expect({ appCode, status: row.status }).toEqual({ appCode, status: statusOfError(new TRPCError({ code: row.trpc })) });
    }
  });

  it("refines Agora's answers per error, with tRPC's status for each", () => {
    const cases = [
      [new AgoraApiError({ endpoint: 'query', httpStatus: 429 }), 'TOO_MANY_REQUESTS'],
      [new AgoraApiError({ endpoint: 'start', httpStatus: 200, code: 53 }), 'CONFLICT'],
      [new AgoraApiError({ endpoint: 'query', httpStatus: 404, code: 404 }), 'NOT_FOUND'],
      [new AgoraApiError({ endpoint: 'query', httpStatus: 404 }), 'BAD_GATEWAY'],
      [new AgoraTimeoutError('query', 'api.agora.io', 10_000), 'GATEWAY_TIMEOUT'],
      [new AgoraResponseError('query', 200, 'not JSON'), 'BAD_GATEWAY'],
      [new AgoraNetworkError('query', 'api.agora.io', 'ENOTFOUND', new Error('getaddrinfo ENOTFOUND')), 'SERVICE_UNAVAILABLE'],
    ] as const;
    for (const [error, trpc] of cases) {
      expect(error.shownAs.trpc).toBe(trpc);
      expect(error.shownAs.status).toBe(statusOfError(new TRPCError({ code: trpc })));
    }
  });

  it('answers an unreachable Agora as AGORA_UNAVAILABLE, not as the registry (both refuse connections)', () => {
    const answer = answerToError(
      new AgoraNetworkError('acquire', 'api.agora.io', 'ECONNREFUSED', new Error('connect ECONNREFUSED')),
      logger,
    );
    expect(answer).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', data: { appCode: 'AGORA_UNAVAILABLE' } });
  });

  it("shows an AppError's own message, even an internal one, but not an escaped uid race's", () => {
    expect(answerToError(new AppError(AppErrorCode.INTERNAL, 'Cloud Recording is not configured on this server'), logger)).toMatchObject({
      status: 500,
      message: 'Cloud Recording is not configured on this server',
      data: { appCode: 'INTERNAL' },
    });
    expect(answerToError(new UidTakenError('c', '42'), logger)).toMatchObject({
      status: 500,
      message: 'Internal server error',
      data: { appCode: 'INTERNAL' },
    });
  });
});
