/**
 * The module under pkcs11js's async calls, which run on libuv's thread pool: many signatures in
 * flight through a pool of sessions, and calls racing on one session. Every signature is checked.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sm2 } from '../../lib/crypto/sm2';
import { unwrap } from '../../lib/errors';
import { SOFTTOKEN_FAMILIES } from './index';
import { initWithPkcs11Tool, Token, tokenDir, type TokenDir } from './testSupport';

const ST = SOFTTOKEN_FAMILIES.softtoken;
const SIGN_E = ST.sign[0].mechanism;
const SESSIONS = 8;
const SIGNATURES = 500;

let t: TokenDir;
let token: Token;
let key: Buffer;
let verifier: ReturnType<typeof sm2.prepareVerifier>;

beforeAll(() => {
  t = tokenDir();
  initWithPkcs11Tool(t.env);
  token = new Token(t.env);
  const s = token.userSession();
  const keys = token.generate(s, 'softtoken', Buffer.from('cc', 'hex'));
  key = keys.privateKey;
  verifier = sm2.prepareVerifier(unwrap(sm2.publicKeyFromBytes(token.point(s, keys.publicKey))));
});
afterAll(() => {
  token.close();
  t.dispose();
});

describe('concurrency', () => {
  it(`${SIGNATURES} async signatures through ${SESSIONS} sessions all succeed and verify`, async () => {
    const sessions = Array.from({ length: SESSIONS }, () => token.userSession());
    const queue = Array.from({ length: SIGNATURES }, () => randomBytes(32));
    const results: { e: Buffer; sig: Buffer }[] = [];
    // each session signs its share in turn: one operation per session, all sessions at once
    await Promise.all(
      sessions.map(async (s) => {
        for (let e = queue.pop(); e; e = queue.pop()) {
          token.p11.C_SignInit(s, { mechanism: SIGN_E }, key);
          results.push({ e, sig: await token.p11.C_SignAsync(s, e, Buffer.alloc(64)) });
        }
      }),
    );
    expect(results).toHaveLength(SIGNATURES);
    expect(results.filter(({ e, sig }) => verifier.verifyDigest(e, sig))).toHaveLength(SIGNATURES);
  });

  it('signatures racing on one session: one wins, the others get a PKCS#11 code, the session survives', async () => {
    const s = token.userSession();
    const e = randomBytes(32);
    token.p11.C_SignInit(s, { mechanism: SIGN_E }, key);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 16 }, async () => ({ e, sig: await token.p11.C_SignAsync(s, e, Buffer.alloc(64)) })),
    );
    for (const o of outcomes) {
      if (o.status === 'fulfilled') expect(verifier.verifyDigest(o.value.e, o.value.sig)).toBe(true);
      else expect((o.reason as Error).message).toMatch(/^CKR_(OPERATION_ACTIVE|OPERATION_NOT_INITIALIZED)/);
    }
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    // the session is still usable afterwards
    expect(token.sign(s, SIGN_E, key, randomBytes(32))).toHaveLength(64);
  });
});
