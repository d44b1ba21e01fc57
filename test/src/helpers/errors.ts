import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '@agora-backend/client';
import { expect } from 'vitest';

/** Awaits a call that must fail, and returns its typed tRPC error (fails the test otherwise). */
export async function catchServerError(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const outcome = await call.then(
    (value: unknown) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected the call to fail, it returned ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(TRPCClientError);
  return outcome.error as TRPCClientError<AppRouter>;
}
