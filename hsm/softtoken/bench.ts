/**
 * `npm run bench:softtoken`: SM2 signatures through the software token (pkcs11js → PKCS#11 →
 * OpenSSL) beside our in-process SM2 (lib/crypto/sm2.ts), measured in the same run. Prints
 * signatures per second and the ratio to the in-process baseline (> 1: the token is faster).
 * Wall-clock time, median of five rounds: the async row uses several threads, so CPU time would
 * not compare like with like. On a shared machine, compare ratios, not absolute figures.
 */
import { randomBytes } from 'node:crypto';
import { sm2 } from '../../lib/crypto/sm2';
import { SOFTTOKEN_FAMILIES } from './index';
import { initWithPkcs11Tool, Token, tokenDir } from './testSupport';

const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);
const SIGN_E = SOFTTOKEN_FAMILIES.softtoken.sign[0].mechanism;
const POOL = 8;

async function perSecond(batch: () => Promise<number> | number): Promise<number> {
  const rates: number[] = [];
  await batch(); // warm-up
  for (let r = 0; r < 5; r++) {
    let ops = 0;
    const start = performance.now();
    while (performance.now() - start < ROUND_MS) ops += await batch();
    rates.push((ops * 1000) / (performance.now() - start));
  }
  return rates.sort((a, b) => a - b)[2];
}

const t = tokenDir();
initWithPkcs11Tool(t.env);
const token = new Token(t.env);
try {
  const loginStart = performance.now();
  const session = token.userSession();
  const loginMs = performance.now() - loginStart;
  const key = token.generate(session, 'softtoken', Buffer.from('be', 'hex')).privateKey;
  const pool = Array.from({ length: POOL }, () => token.userSession());
  const e = randomBytes(32);
  const d = sm2.generatePrivateKey();

  const baseline = await perSecond(() => {
    for (let i = 0; i < 20; i++) sm2.signDigest(e, d);
    return 20;
  });
  const sync = await perSecond(() => {
    for (let i = 0; i < 20; i++) token.sign(session, SIGN_E, key, e);
    return 20;
  });
  const async = await perSecond(async () => {
    await Promise.all(
      pool.map(async (s) => {
        for (let i = 0; i < 5; i++) {
          token.p11.C_SignInit(s, { mechanism: SIGN_E }, key);
          await token.p11.C_SignAsync(s, e, Buffer.alloc(64));
        }
      }),
    );
    return POOL * 5;
  });

  const row = (name: string, rate: number) =>
    console.log(`${name.padEnd(44)} ${rate.toFixed(0).padStart(8)} sig/s   ${(rate / baseline).toFixed(2)}×`);
  console.log(`SM2 sign over a precomputed e (baseline: lib/crypto/sm2.ts in-process)\n`);
  row('lib/crypto/sm2.ts signDigest (baseline)', baseline);
  row('software token, C_Sign, 1 session', sync);
  row(`software token, C_SignAsync, ${POOL} sessions`, async);
  console.log(`\nC_Login (scrypt N=2^15, r=8): ${loginMs.toFixed(0)} ms`);
} finally {
  token.close();
  t.dispose();
}
