/** What both soaks (`pnpm soak`, `pnpm soak:cluster`) share: credentials, seeded choices, sleeping. */

export const SOAK_APP_ID = '970ca35de60c44645bbae8a215061b33';
export const SOAK_CERTIFICATE = '5cfd2fd1755d40ecb72977518be15d3b';
export const SOAK_CUSTOMER = { id: 'soak-customer', secret: 'soak-secret' };

/** Deterministic choices (mulberry32), so a failing run can be repeated with its seed. */
export function seededChoices(seedValue: number) {
  let seed = seedValue >>> 0;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let value = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
  /** A whole number in [low, high). */
  const between = ([low, high]: readonly [number, number]) => low + Math.floor(random() * (high - low));
  return { between };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
