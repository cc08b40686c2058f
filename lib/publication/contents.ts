/**
 * What the next bundle lists, read from the CA's state at one instant (§12.2): the A2 records of
 * the active and the announced root keys not expired at the publication time, the A3 records of the certificates
 * issued under them that are neither revoked nor expired, and the entries of the revocation list
 * (every revoked certificate not yet expired).
 */
import { expiryDay, rootKeyRecord, type RevocationEntry } from '../codec';
import { reasonOf, signDistributionRecord, type CaServices } from '../ca';
import { bytesToUint, toHex } from '../bytes';
import { issuerCertificate } from '../codec';
import type { Tx } from '../db/client';
import { err, type Result } from '../errors';

export interface ListedRootKey {
  readonly index: number;
  readonly hsmKeyId: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly a2: Uint8Array;
  /** Only ACTIVE keys sign; an ANNOUNCED one is listed ahead of use (TQ-CERT-1 §9 rollover). */
  readonly state: 'ACTIVE' | 'ANNOUNCED';
}

export interface PublicationContents {
  /** Ascending by index. */
  readonly rootKeys: readonly ListedRootKey[];
  /** A3 records, ascending by certificate number. */
  readonly certificates: readonly Uint8Array[];
  /** Certificate numbers whose A3 this publication signed (issued before A3 records were kept). */
  readonly signedNow: readonly number[];
  readonly revoked: readonly RevocationEntry[];
}

export async function readContents(tx: Tx, ca: CaServices, at: Date): Promise<Result<PublicationContents>> {
  const inBundle = await tx.rootKey.findMany({ where: { state: { in: ['ACTIVE', 'ANNOUNCED'] } }, orderBy: { index: 'asc' } });
  const rootKeys: ListedRootKey[] = [];
  for (const k of inBundle) {
    const a2 = rootKeyRecord.decode(k.a2Record);
    if (!a2.ok) return a2;
    const state = k.state === 'ACTIVE' ? 'ACTIVE' : 'ANNOUNCED';
    if (!expiryDay.isExpired(a2.value.expiry, at)) rootKeys.push({ index: k.index, hsmKeyId: k.hsmKeyId, publicKey: k.publicKey, a2: k.a2Record, state });
  }
  const active = inBundle.filter((k) => k.state === 'ACTIVE');
  const byId = new Map(active.map((k) => [k.id, rootKeys.find((r) => r.index === k.index)]));
  // One statement, one snapshot: read apart, a revocation committing in between would list a
  // certificate both as valid and as revoked (§12.2 check 7), as the two-process test showed.
  const listedIds = active.filter((k) => byId.get(k.id)).map((k) => k.id);
  const rows = await tx.certificate.findMany({
    where: { expiresAt: { gt: at }, OR: [{ status: 'ACTIVE', rootKeyId: { in: listedIds } }, { status: 'REVOKED' }] },
    select: {
      number: true,
      status: true,
      serial: true,
      revocationReason: true,
      rootKeyId: true,
      bytes: true,
      a3Record: true,
      issuedAt: true,
      institution: { select: { code: true } },
    },
    orderBy: { number: 'asc' },
  });
  const certificates: Uint8Array[] = [];
  const signedNow: number[] = [];
  const revoked: RevocationEntry[] = [];
  for (const c of rows) {
    if (c.status === 'REVOKED') {
      revoked.push({ certificateNumber: Number(c.number), issuerId: bytesToUint(c.institution.code), serial: c.serial, reason: reasonOf(c.revocationReason!) });
    } else if (c.a3Record) {
      certificates.push(c.a3Record);
    } else {
      const a3 = await backfillDistributionRecord(tx, ca, byId.get(c.rootKeyId)!, c);
      if (!a3.ok) return a3;
      certificates.push(a3.value);
      signedNow.push(Number(c.number));
    }
  }
  return { ok: true, value: { rootKeys, certificates, signedNow, revoked } };
}

/** A certificate issued before A3 records were kept gets its record once, here, and keeps it (a trigger forbids replacing it). */
async function backfillDistributionRecord(
  tx: Tx,
  ca: CaServices,
  rootKey: ListedRootKey,
  c: { number: bigint; bytes: Uint8Array; issuedAt: Date; institution: { code: Uint8Array } },
): Promise<Result<Uint8Array>> {
  const certificate = issuerCertificate.decode(c.bytes);
  if (!certificate.ok) return err('INTERNAL', `stored certificate ${c.number} does not decode: ${certificate.error.code}`, { details: { bytes: toHex(c.bytes) } });
  const a3 = await signDistributionRecord(ca.keys, rootKey, {
    certificateNumber: Number(c.number),
    issuerId: bytesToUint(c.institution.code),
    certificate: certificate.value,
    issuedAt: c.issuedAt,
  });
  if (!a3.ok) return a3;
  await tx.certificate.update({ where: { number: c.number }, data: { a3Record: a3.value as Uint8Array<ArrayBuffer> } });
  return a3;
}
