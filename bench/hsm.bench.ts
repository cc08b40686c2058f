/**
 * `npm run bench:hsm`: SM2 signatures per second through our HSM layer and its session pool,
 * beside a tight pkcs11js loop over the same module in the same run (same token, same key, the
 * same number of sessions, no pool, no Z, no host verification). Prints both and the ratio
 * (target: layer ≥ 0.85 × the tight loop). A third row, the tight loop that also verifies each
 * signature with the same host verifier, separates the cost of that safety check from the
 * layer's own overhead (pool, key cache, Z and e, normalisation); the cost of one verification
 * measured alone closes the account: CPU per signature of each side, their difference, and how
 * much of it the verification is. Host costs are CPU time, so other load on the machine does not
 * inflate them.
 *
 * Rounds alternate between the two sides and the median is kept, so load from other work on the
 * machine hits both alike. Rates are given per wall second and per CPU second of this process
 * (the module signs on libuv threads inside it, so CPU time covers both sides' work).
 */
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { sm2 } from '../lib/crypto/sm2';
import { sm3 } from '../lib/crypto/sm3';
import { unwrap } from '../lib/errors';
import type { KeyManager } from '../hsm/keyManager';
import { openPkcs11KeyManager } from '../hsm/pkcs11KeyManager';
import { softToken } from '../hsm/testTokens';
import { threadPoolSize } from '../hsm/threadPool';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 8);
const SIGNATURES = Number(process.env.BENCH_SIGNATURES ?? 2000);
const ROUNDS = 5;

interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

/** Runs `count` operations with `concurrency` workers; rates per wall and per CPU second. */
async function measure(count: number, concurrency: number, operation: (worker: number) => Promise<unknown>): Promise<Rate> {
  let next = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next++ < count) await operation(worker);
    }),
  );
  const cpu = process.cpuUsage(cpuStart);
  return { wall: (count * 1000) / (performance.now() - started), cpu: (count * 1e6) / (cpu.user + cpu.system) };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const token = softToken('softtoken');
  const hsm: KeyManager = unwrap(await openPkcs11KeyManager({ ...token, poolSize: SESSIONS }));
  const key = unwrap(await hsm.generateKey({ label: 'bench-root', algorithm: 'sm2' }));
  const sign = token.profile.sign.find((m) => m.input === 'digest')!;

  // The tight loop: the same library (already initialised and logged in by the layer in this
  // process), its own sessions, one precomputed e, nothing checked.
  const raw = new pkcs11js.PKCS11();
  raw.load(token.modulePath);
  try {
    raw.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (e) {
    if (!(e as Error).message.startsWith('CKR_CRYPTOKI_ALREADY_INITIALIZED')) throw e;
  }
  const slot = raw.C_GetSlotList(true).find((s) => raw.C_GetTokenInfo(s).label.trim() === token.tokenLabel)!;
  const sessions = Array.from({ length: SESSIONS }, () => raw.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION));
  raw.C_FindObjectsInit(sessions[0], [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_ID, value: Buffer.from(key.id) },
  ]);
  const [handle] = raw.C_FindObjects(sessions[0], 1);
  raw.C_FindObjectsFinal(sessions[0]);
  const e = Buffer.from(randomBytes(32));
  const tightSign = async (worker: number) => {
    raw.C_SignInit(sessions[worker], { mechanism: sign.code }, handle);
    return raw.C_SignAsync(sessions[worker], e, Buffer.alloc(256));
  };

  const verifier = sm2.prepareVerifier(unwrap(sm2.publicKeyFromBytes(key.publicKey)));
  const tightSignAndVerify = async (worker: number) => {
    const signature = new Uint8Array(await tightSign(worker));
    if (!verifier.verifyDigest(e, signature)) throw new Error('the token returned a signature that does not verify');
  };

  const message = new TextEncoder().encode('M_cert: 14 1227 000001 04 00 11 40 ‖ X ‖ Y, 74 bytes in production');
  const layerSign = async () => unwrap(await hsm.sign({ id: key.id }, message));

  await measure(200, SESSIONS, tightSign);
  await measure(200, SESSIONS, tightSignAndVerify);
  await measure(200, SESSIONS, layerSign);
  const tight: Rate[] = [];
  const tightVerified: Rate[] = [];
  const layer: Rate[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    tight.push(await measure(SIGNATURES, SESSIONS, tightSign));
    tightVerified.push(await measure(SIGNATURES, SESSIONS, tightSignAndVerify));
    layer.push(await measure(SIGNATURES, SESSIONS, layerSign));
  }

  // What the layer adds on the host, per signature, measured alone on this thread.
  const signature = unwrap(await hsm.sign({ id: key.id }, message));
  const digest = sm3(verifier.z(), message);
  const hostCost = (operation: () => unknown) => {
    const n = 2000;
    const started = process.cpuUsage();
    for (let i = 0; i < n; i++) operation();
    const used = process.cpuUsage(started);
    return (used.user + used.system) / n;
  };
  const verifyMicros = hostCost(() => verifier.verifyDigest(digest, signature));
  const digestMicros = hostCost(() => sm3(verifier.z(), message));

  for (const s of sessions) raw.C_CloseSession(s);
  await hsm.close();
  token.dispose();

  const row = (name: string, rates: Rate[]) =>
    `${name.padEnd(34)} ${median(rates.map((r) => r.wall)).toFixed(0).padStart(8)} /s wall ${median(rates.map((r) => r.cpu)).toFixed(0).padStart(8)} /s CPU`;
  const ratio = (to: Rate[], pick: (r: Rate) => number) => median(layer.map(pick)) / median(to.map(pick));
  const ratios = (to: Rate[]) => `${ratio(to, (r) => r.wall).toFixed(2)}× wall, ${ratio(to, (r) => r.cpu).toFixed(2)}× CPU`;
  console.log(`SM2 signatures, software token (${token.profile.name} codes), ${SESSIONS} sessions, UV_THREADPOOL_SIZE ${threadPoolSize()}`);
  console.log(`median of ${ROUNDS} alternating rounds of ${SIGNATURES} signatures each\n`);
  console.log(row('tight pkcs11js loop (baseline)', tight));
  console.log(row('tight loop + host verification', tightVerified));
  console.log(row('our layer (pool, Z, e, verify)', layer));
  console.log(`\nlayer / tight loop:                 ${ratios(tight)} (target ≥ 0.85×)`);
  console.log(`layer / tight loop + verification: ${ratios(tightVerified)} (the layer's own overhead)`);
  console.log(`host work per signature: verify ${verifyMicros.toFixed(0)} µs, Z + e ${digestMicros.toFixed(1)} µs CPU (on the event-loop thread)`);
  const cpuMicros = (rates: Rate[]) => 1e6 / median(rates.map((r) => r.cpu));
  const added = cpuMicros(layer) - cpuMicros(tight);
  console.log(
    `CPU per signature: tight loop ${cpuMicros(tight).toFixed(0)} µs, layer ${cpuMicros(layer).toFixed(0)} µs: ` +
      `the layer adds ${added.toFixed(0)} µs, verification ${((100 * verifyMicros) / added).toFixed(0)}% of it`,
  );
}

await main();
