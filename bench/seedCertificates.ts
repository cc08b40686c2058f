/**
 * Bench support: a CA with `count` real certificates under root key 01, and one publication's
 * cost against its floor (bench:publication, bench:api).
 *
 * Seeding, honestly: the certificates are real — each M_cert and each A3 is signed by the root key
 * in the token through the key manager and verified on the host (signDistributionRecord) — but
 * their rows are inserted in batches, not issued one by one: the request rows behind them carry
 * placeholder A1 bytes (tag A1, random rest) and challenges, which publication never reads.
 */
import { randomBytes } from 'node:crypto';
import { uintToBytes } from '../lib/bytes';
import { revokeCertificate, signDistributionRecord } from '../lib/ca';
import { bundleLayout, expiryMonth, manifestRecord, issuerCertificate, issuerKeyData, revocationList, type IssuerKeyData } from '../lib/codec';
import { sm2 } from '../lib/crypto/sm2';
import { sm3 } from '../lib/crypto/sm3';
import { unwrap } from '../lib/errors';
import { bundleByVersion, publish } from '../lib/publication';
import { activeRootKey, type Harness } from '../test/e2e/harness';

const PER_ISSUER = 100;
const BATCH = 500;

/** Root key 01, `count` certificates under it, and the first bundle published. */
export async function seedCertificates(h: Harness, count: number): Promise<void> {
  await activeRootKey(h, 0x01);
  const root = await h.db.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x01 } });
  const signer = { index: 1, hsmKeyId: root.hsmKeyId, publicKey: root.publicKey };
  const seedStart = performance.now();
  const issuers = await h.db.prisma.institution.createManyAndReturn({
    data: Array.from({ length: Math.ceil(count / PER_ISSUER) }, (_, i) => ({ kind: 'ISSUER' as const, code: uintToBytes(0x00200000 + i, 4) as Uint8Array<ArrayBuffer>, nameZh: `基准发卡机构 ${i}` })),
  });
  function evenKey() {
    for (;;) {
      const key = sm2.publicKeyFromPrivate(sm2.generatePrivateKey());
      if ((key.y & 1n) === 0n) return key;
    }
  }

  const issuedAt = new Date();
  async function seedOne(n: number) {
    const issuer = issuers[Math.floor((n - 1) / PER_ISSUER)];
    const keyData: IssuerKeyData = { expiry: { year: 2029, month: 1 + (n % 12) }, serial: ((n - 1) % PER_ISSUER) + 1, publicKey: evenKey() };
    const certificate = issuerCertificate.assemble(keyData, unwrap(await h.keys.sign({ id: root.hsmKeyId }, issuerKeyData.encode(keyData))));
    const a3 = unwrap(
      await signDistributionRecord(h.keys, signer, { certificateNumber: n, issuerId: Number(`0x${Buffer.from(issuer.code).toString('hex')}`), certificate: unwrap(issuerCertificate.decode(certificate)), issuedAt }),
    );
    return { n, issuer, keyData, certificate, a3 };
  }

  for (let first = 1; first <= count; first += BATCH) {
    const numbers = Array.from({ length: Math.min(BATCH, count - first + 1) }, (_, i) => first + i);
    const seeded = [];
    for (let i = 0; i < numbers.length; i += 8) seeded.push(...(await Promise.all(numbers.slice(i, i + 8).map(seedOne))));
    const challenges = await h.db.prisma.challenge.createManyAndReturn({
      data: seeded.map((s) => ({ institutionId: s.issuer.id, value: randomBytes(16), issuedAt, expiresAt: new Date(issuedAt.getTime() + 86_400_000), usedAt: issuedAt })),
    });
    const requests = await h.db.prisma.certificateRequest.createManyAndReturn({
      data: seeded.map((s, i) => ({
        institutionId: s.issuer.id,
        a1Record: Buffer.concat([Buffer.from([0xa1]), randomBytes(160)]),
        requestedSerial: s.keyData.serial,
        requestedExpiryMonth: s.keyData.expiry.month,
        requestedExpiryYear: s.keyData.expiry.year,
        publicKey: s.keyData.publicKey.bytes as Uint8Array<ArrayBuffer>,
        fingerprint: sm3(s.keyData.publicKey.bytes).slice(0, 8),
        challengeId: challenges[i].id,
        state: 'ISSUED' as const,
        rootKeyId: root.id,
        issuedAt,
      })),
    });
    await h.db.prisma.certificateNumberAllocation.createMany({
      data: seeded.map((s, i) => ({ number: BigInt(s.n), requestId: requests[i].id, rootKeyId: root.id, state: 'ISSUED' as const, completedAt: issuedAt, signedBytes: s.certificate as Uint8Array<ArrayBuffer>, signedAt: issuedAt })),
    });
    await h.db.prisma.certificate.createMany({
      data: seeded.map((s, i) => ({
        number: BigInt(s.n),
        institutionId: s.issuer.id,
        serial: s.keyData.serial,
        requestId: requests[i].id,
        rootKeyId: root.id,
        bytes: s.certificate as Uint8Array<ArrayBuffer>,
        publicKey: s.keyData.publicKey.bytes as Uint8Array<ArrayBuffer>,
        expiryMonth: s.keyData.expiry.month,
        expiryYear: s.keyData.expiry.year,
        expiresAt: new Date(expiryMonth.end(s.keyData.expiry).getTime() + 1),
        issuedAt,
        a3Record: s.a3 as Uint8Array<ArrayBuffer>,
      })),
    });
  }
  await h.db.prisma.$executeRaw`UPDATE counter SET value = ${count} WHERE name = 'certificate_number'`;
  // What autovacuum does within a minute of a bulk load (PostgreSQL 13 on vacuums after inserts):
  // statistics, hint bits and the visibility map, as a CA's database that grew over months has them.
  await h.db.prisma.$executeRawUnsafe('VACUUM ANALYZE');
  console.log(`seeded ${count} certificates in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  unwrap(await publish(h.ca, 'operator'));
}

/** Measured rounds; one pair is noisy (a scavenge in either half moves it by a third or more). */
export const PUBLICATION_ROUNDS = 15;
/** Publications after the first and before the rounds, not counted: the second prepares the signing key's verifier (reusedKeyVerifiers, once per key and process). */
const WARM_UP = 2;

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

export interface PublicationCost {
  /** The process's first revocation publication, ms: it reads and checks its predecessor in full. */
  readonly first: number;
  /** The next WARM_UP publications, ms, not counted (the second prepares the signing key's verifier). */
  readonly warmUp: readonly number[];
  /** A revocation's publication after those, ms (median of the rounds). */
  readonly publication: number;
  /** SM3 of the same body plus two HSM signatures on the same token, ms (median of the rounds). */
  readonly floor: number;
  /** The median of the rounds' publication / floor, each pair measured back to back. */
  readonly ratio: number;
  /** Each round's publication / floor. */
  readonly ratios: readonly number[];
  readonly latest: Uint8Array;
}

/**
 * A revocation's publication at the seeded size beside its floor, SM3 of the body and the two
 * signatures it makes, in rounds of one each, back to back: the floor alone moved by half between
 * runs on this machine, so a ratio compares what the same seconds gave.
 */
export async function measurePublication(h: Harness): Promise<PublicationCost> {
  const root = await h.db.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x01 } });
  // The server that publishes has not just created 10,000 certificates in its heap: collect what
  // seeding left (run with --expose-gc) so a publication is measured on a heap like a running
  // server's. The publications' own garbage still counts. (Collecting before every publication and
  // every floor too was tried: the floors right after a full collection ran slower, 14–15 → 16–17 ms,
  // which flatters the ratio.)
  (globalThis as { gc?: () => void }).gc?.();
  // The lowest-numbered valid certificates, one per publication: a joined database may have revoked some.
  const valid = (await h.db.prisma.certificate.findMany({ where: { status: 'ACTIVE' }, orderBy: { number: 'asc' }, take: 1 + WARM_UP + PUBLICATION_ROUNDS, select: { number: true } })).map((c) => Number(c.number));
  const revokeAndPublish = async (round: number) => {
    unwrap(await revokeCertificate(h.ca, h.bob, valid[round], 'superseded'));
    const start = performance.now();
    const version = unwrap(await publish(h.ca, 'revocation')).version;
    return { ms: performance.now() - start, bundle: unwrap(await bundleByVersion(h.ca, version)) };
  };
  const floorOf = async (bundle: Uint8Array) => {
    // The A4 alone decoded: decoding the 10,000 A3s would leave garbage for nothing.
    const a4ToBeSigned = revocationList.toBeSigned(unwrap(revocationList.decode(bundle.subarray(bundleLayout(unwrap(manifestRecord.decode(bundle.subarray(0, 122)))).a4))));
    const start = performance.now();
    sm3(bundle.subarray(122));
    unwrap(await h.keys.sign({ id: root.hsmKeyId }, bundle.subarray(0, 58)));
    unwrap(await h.keys.sign({ id: root.hsmKeyId }, a4ToBeSigned));
    return performance.now() - start;
  };
  const first = (await revokeAndPublish(0)).ms;
  const warmUp: number[] = [];
  for (let i = 0; i < WARM_UP; i++) warmUp.push((await revokeAndPublish(1 + i)).ms);
  const rounds: { publication: number; floor: number }[] = [];
  let latest: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < PUBLICATION_ROUNDS; i++) {
    const published = await revokeAndPublish(1 + WARM_UP + i);
    latest = published.bundle;
    rounds.push({ publication: published.ms, floor: await floorOf(latest) });
  }
  return {
    first,
    warmUp,
    publication: median(rounds.map((r) => r.publication)),
    floor: median(rounds.map((r) => r.floor)),
    ratio: median(rounds.map((r) => r.publication / r.floor)),
    ratios: rounds.map((r) => r.publication / r.floor),
    latest,
  };
}
