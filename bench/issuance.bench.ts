/**
 * `npm run bench:issuance`: what the CA adds around the HSM signature. Per database (in-memory
 * PGlite, a throwaway PostgreSQL 15 cluster), certificates per second through issueCertificate
 * (T1 reservation with the state checks, HSM signature, the signed bytes committed, terminal
 * re-verification, T2 store, three audit events) against a baseline measured in the same run on
 * the same token: the HSM signature of M_cert plus the host verification alone. On PostgreSQL
 * also with four concurrent issuers. Wall-clock, median of three rounds after a warm-up round.
 */
import { uintToBytes } from '../lib/bytes';
import { createInstitution } from '../lib/ca/institutions';
import { issueCertificate } from '../lib/ca/issuance';
import { approveRequest, issueChallenge, reviewRequest, submitRequest } from '../lib/ca/requests';
import { issuerKeyData, verifyIssuerCertificate, issuerCertificate } from '../lib/codec';
import { sm2 } from '../lib/crypto/sm2';
import { unwrap } from '../lib/errors';
import { activeRootKey, buildRequest, startHarness, type Harness } from '../test/e2e/harness';
import { startPostgres } from '../test/support/postgres';

const PER_ROUND = Number(process.env.BENCH_CERTIFICATES ?? 40);
let nextIssuer = 0x00100000;

/** PER_ROUND approved requests, four per issuer (the active-certificate cap). */
async function approved(h: Harness, rootIndex: number): Promise<number[]> {
  const ids: number[] = [];
  while (ids.length < PER_ROUND) {
    const issuerId = nextIssuer++;
    unwrap(await createInstitution(h.ca, h.admin, { kind: 'ISSUER', code: uintToBytes(issuerId, 4), nameZh: `基准发卡机构 ${issuerId}` }));
    for (let serial = 1; serial <= 4 && ids.length < PER_ROUND; serial++) {
      const challenge = unwrap(await issueChallenge(h.ca, h.alice, issuerId));
      const request = unwrap(await submitRequest(h.ca, h.alice, buildRequest({ issuerId, challenge: challenge.challenge, serial, expiry: { year: 2028, month: 6 } }).a1));
      unwrap(await reviewRequest(h.ca, h.alice, request.id, request.fingerprint));
      unwrap(await approveRequest(h.ca, h.bob, request.id, rootIndex));
      ids.push(request.id);
    }
  }
  return ids;
}

async function median(round: () => Promise<number>): Promise<number> {
  await round();
  const rates = [await round(), await round(), await round()];
  return rates.sort((a, b) => a - b)[1];
}

async function perSecond(work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await work();
  return PER_ROUND / ((performance.now() - start) / 1000);
}

async function measure(label: string, h: Harness, concurrency: number, rootIndex: number) {
  const root = await activeRootKey(h, rootIndex);
  const rootKey = await h.db.prisma.rootKey.findUniqueOrThrow({ where: { index: rootIndex } });
  const rootPublic = unwrap(sm2.publicKeyFromBytes(rootKey.publicKey));
  const keyData = { expiry: { year: 2028, month: 6 }, serial: 1, publicKey: sm2.publicKeyFromPrivate(sm2.generatePrivateKey()) };
  while (keyData.publicKey.y & 1n) keyData.publicKey = sm2.publicKeyFromPrivate(sm2.generatePrivateKey());
  const message = issuerKeyData.encode(keyData);

  const inParallel = async (items: number[], task: (item: number) => Promise<void>) => {
    const queue = [...items];
    await Promise.all(Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
    }));
  };
  const baseline = await median(() =>
    perSecond(() =>
      inParallel([...Array(PER_ROUND).keys()], async () => {
        const signature = unwrap(await h.keys.sign({ id: rootKey.hsmKeyId }, message));
        unwrap(verifyIssuerCertificate(issuerCertificate.assemble(keyData, signature), rootPublic, new Date()));
      }),
    ),
  );
  const issuance = await median(async () => {
    const ids = await approved(h, rootIndex);
    return perSecond(() => inParallel(ids, async (id) => void unwrap(await issueCertificate(h.ca, h.bob, id))));
  });
  console.log(`${label.padEnd(30)} ${baseline.toFixed(0).padStart(6)} /s ${issuance.toFixed(0).padStart(6)} /s   ×${(baseline / issuance).toFixed(2)}   (root ${root.index})`);
}

console.log(`certificates per second, ${PER_ROUND} per round: HSM sign + verify alone | full issuance | cost factor`);
const pglite = await startHarness();
await measure('PGlite, 1 issuer', pglite, 1, 0x91);
await pglite.close();

const postgres = await startPostgres();
const pg = await startHarness({ url: await postgres.createDatabase('bench') });
await measure('PostgreSQL 15, 1 issuer', pg, 1, 0x92);
await measure('PostgreSQL 15, 4 concurrent', pg, 4, 0x93);
await pg.close();
await postgres.stop();
process.exit(0);
