/**
 * Token encoding alone, in one process: our AccessToken2 encoder (server/src/tokens) against
 * agora-token's RtcTokenBuilder.buildTokenWithUid, alternating rounds; and the tokens' lengths.
 *
 *   pnpm bench:encoding      (BENCH_ROUNDS=5, BENCH_MS=1000 per side per round)
 */
import agora from 'agora-token';
import { createTokenIssuer, systemClock } from '@agora-backend/server';
import { TokenGenerateInput } from '../shared/src/index.js';
import { APP_ID, CERT, median, printTable } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MS = Number(process.env.BENCH_MS ?? 1_000);
const { RtcTokenBuilder, RtcRole } = agora;
const issuer = createTokenIssuer({ appId: APP_ID, appCertificate: CERT, clock: systemClock });
const inputs = Array.from({ length: 100 }, (_, i) => TokenGenerateInput.parse({ channel: 'bench', uid: 1000 + i, expireSeconds: 3600 }));

function perSecond(build: (i: number) => string): number {
  const end = Date.now() + MS;
  let count = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 100; i++) build(i);
    count += 100;
  }
  return (count / MS) * 1000;
}

const reference = (i: number) => RtcTokenBuilder.buildTokenWithUid(APP_ID, CERT, 'bench', 1000 + i, RtcRole.PUBLISHER, 3600, 3600);
const ours = (i: number) => issuer.issue(inputs[i]!).token;
perSecond(reference);
perSecond(ours);
const runs = { reference: [] as number[], ours: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  runs.reference.push(perSecond(reference));
  runs.ours.push(perSecond(ours));
}
const ratios = runs.ours.map((value, i) => value / runs.reference[i]!);
printTable('token encoding, one process', [
  ['agora-token buildTokenWithUid: tokens/s (median)', String(Math.round(median(runs.reference)))],
  ['ours, issuer.issue: tokens/s (median)', String(Math.round(median(runs.ours)))],
  ['ours / agora-token (median of rounds; target >= 3x)', `${median(ratios).toFixed(2)}x  (${ratios.map((r) => r.toFixed(2)).join(', ')})`],
  ['token length: agora-token / ours (characters)', `${reference(0).length} / ${ours(0).length}`],
]);
