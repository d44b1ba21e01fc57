import { describe, expect, it } from 'vitest';
import { readToken } from './helpers/token-verifier.js';

// A fixed vector, built by AccessToken2 with fixed issueTs and salt.
const VECTOR =
  '007eJxTYPj/vvq+EWffxM1ZHFUW93J3CdxbXyV4RzWvboZGPJPCZ0UFBktzA2dHY9OUVDODZBMTMxPTpKTEVItEI0NTAzPDJGNjho/BqRFMDAyWBgwMjFAI4rMyFOXn5xqyMZgamVuYGAIAqZIdZg==';

describe('independent AccessToken2 reader', () => {
  it('reads the reference test vector and verifies its signature', () => {
    const token = readToken(VECTOR, '5CFd2fd1755d40ecb72977518be15d3b');
    expect(token).toMatchObject({ appId: '970CA35de60c44645bbae8a215061b33', issueTs: 1700000000, expire: 600, salt: 12345 });
    expect(token.services).toHaveLength(1);
    expect(token.services[0]!.type).toBe(1);
    expect(token.services[0]!.fields).toEqual(['room1', '527841']);
    expect([...token.services[0]!.privileges]).toEqual([[1, 600]]);
    expect(token.signatureValid).toBe(true);
  });

  it('rejects the signature under another certificate', () => {
    expect(readToken(VECTOR, '5CFd2fd1755d40ecb72977518be15d3c').signatureValid).toBe(false);
  });
});
