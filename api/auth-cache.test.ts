/**
 * The token verifier's cache (api/auth.ts): a lookup serves for 5 s and is redone in the
 * background from 3.75 s on; a revocation behind the verifier's back shows within 5 s, one through
 * it (invalidate) at once, and a background lookup started before invalidate() is never kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, revokeToken } from '../pipeline/auth/index.ts';
import { openMigratedDb, type Db } from '../pipeline/db/index.ts';
import { createTokenVerifier, type TokenVerifier } from './auth.ts';

let db: Db;
let t = Date.parse('2026-04-01T02:00:00Z');
let verifier: TokenVerifier;
const errors: unknown[] = [];

beforeAll(async () => {
  db = await openMigratedDb(':memory:');
  verifier = createTokenVerifier(db, {
    now: () => new Date(t),
    idleSeconds: 3600,
    log: (_m, err) => errors.push(err),
  });
});
afterAll(() => db.close());

describe('token verifier cache', () => {
  it('a revocation behind its back shows within 5 s; the refresh runs in the background', async () => {
    const { token, tokenId } = await createToken(db, { name: 'cache a', role: 'regulator' });
    expect((await verifier.verify(token))?.tokenId).toBe(tokenId);
    await revokeToken(db, tokenId, new Date(t));
    t += 3_000; // younger than ¾ of the cache time: remembered, no lookup
    expect((await verifier.verify(token))?.tokenId).toBe(tokenId);
    await verifier.settled();
    expect((await verifier.verify(token))?.tokenId).toBe(tokenId);
    t += 1_000; // 4 s: still answered from the cache, and looked up again meanwhile
    expect((await verifier.verify(token))?.tokenId).toBe(tokenId);
    await verifier.settled();
    expect(await verifier.verify(token)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('never answers a lookup older than 5 s', async () => {
    const { token, tokenId } = await createToken(db, { name: 'cache b', role: 'regulator' });
    expect((await verifier.verify(token))?.tokenId).toBe(tokenId);
    await revokeToken(db, tokenId, new Date(t));
    t += 5_000;
    expect(await verifier.verify(token)).toBeUndefined();
  });

  it('invalidate() ends a token at once, and a lookup started before it is not kept', async () => {
    const { token, tokenId } = await createToken(db, { name: 'cache c', role: 'regulator' });
    expect((await verifier.verify(token))?.tokenId).toBe(tokenId);
    t += 4_000;
    // starts a background lookup that finds the token valid…
    expect((await verifier.verify(token))?.tokenId).toBe(tokenId);
    // …then the token is revoked through the app, before that lookup lands
    await revokeToken(db, tokenId, new Date(t));
    verifier.invalidate();
    await verifier.settled();
    expect(await verifier.verify(token)).toBeUndefined();
  });
});
