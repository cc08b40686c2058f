/**
 * The §8 checks' read-only lookup over the database, evaluated inside the caller's transaction
 * so that what is checked is what gets committed.
 */
import { bytesToUint, uintToBytes } from '../bytes';
import { expiryDay } from '../codec';
import type { Tx } from '../db/client';
import type { InstitutionStatus, RootKeyState } from '../db/generated/enums';
import type { RequestLookup } from './requestChecks';

const OPEN_REQUEST_STATES = ['SUBMITTED', 'APPROVED'] as const;

/** Issuer ids are the 4-byte institution codes of QR field 7 and record A1, read as uint32. */
export const issuerCode = (issuerId: number): Uint8Array<ArrayBuffer> => uintToBytes(issuerId, 4) as Uint8Array<ArrayBuffer>;
export const issuerIdOf = (code: Uint8Array): number => bytesToUint(code);

/** A `@db.Date` column (UTC midnight) as the calendar day it names. */
export const calendarDayOf = (date: Date) => ({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() });

/**
 * Serialises the decisions about one issuer (submissions, reservations) for the rest of the
 * transaction, so the serial and cap checks see every earlier decision, from any process.
 */
export async function lockIssuer(tx: Tx, issuerId: number): Promise<void> {
  await tx.$queryRaw`SELECT id FROM institution WHERE kind = 'ISSUER' AND code = ${issuerCode(issuerId)} FOR UPDATE`;
}

/**
 * The issuer's status (null: no such issuer), its row held against a status change until the
 * transaction ends. A share lock: other holders (a foreign-key check, another issuance) do not
 * queue behind it, and none of them can deadlock upgrading to it.
 */
export async function issuerStatusHeld(tx: Tx, issuerId: number): Promise<InstitutionStatus | null> {
  const [issuer] = await tx.$queryRaw<{ status: InstitutionStatus }[]>`
    SELECT status FROM institution WHERE kind = 'ISSUER' AND code = ${issuerCode(issuerId)} FOR SHARE`;
  return issuer?.status ?? null;
}

/** A root key's state and last valid day, its row share-locked like the issuer's (above), against a retirement. */
export async function rootKeyHeld(tx: Tx, rootKeyId: number): Promise<{ state: RootKeyState; expiresOn: Date }> {
  const [key] = await tx.$queryRaw<{ state: RootKeyState; expires_on: Date }[]>`
    SELECT state, expires_on FROM root_key WHERE id = ${rootKeyId} FOR SHARE`;
  return { state: key.state, expiresOn: key.expires_on };
}

export interface LookupScope {
  /** The request being re-checked at issuance: it does not conflict with itself. */
  readonly excludeRequestId?: number;
  /** The root key chosen for signing; otherwise the latest-expiring active root key. */
  readonly rootKeyId?: number;
}

export function databaseRequestLookup(tx: Tx, scope: LookupScope = {}): RequestLookup {
  const notThisRequest = scope.excludeRequestId === undefined ? {} : { id: { not: scope.excludeRequestId } };
  const ofIssuer = (issuerId: number) => ({ kind: 'ISSUER' as const, code: issuerCode(issuerId) });
  return {
    async issuerStatus(issuerId) {
      const issuer = await tx.institution.findUnique({ where: { kind_code: ofIssuer(issuerId) }, select: { status: true } });
      return issuer?.status ?? null;
    },

    async challenge(value) {
      const c = await tx.challenge.findUnique({ where: { value: value as Uint8Array<ArrayBuffer> }, include: { institution: { select: { code: true } } } });
      return c && { issuerId: issuerIdOf(c.institution.code), issuedAt: c.issuedAt, expiresAt: c.expiresAt, usedAt: c.usedAt };
    },

    async keyUse(publicKey) {
      const key = publicKey as Uint8Array<ArrayBuffer>;
      // One connection per transaction: queries run one after another.
      const root = await tx.rootKey.findUnique({ where: { publicKey: key }, select: { id: true } });
      const certificate = await tx.certificate.findUnique({ where: { publicKey: key }, select: { status: true, institution: { select: { code: true } } } });
      const requests = await tx.certificateRequest.findMany({
        where: { publicKey: key, state: { in: [...OPEN_REQUEST_STATES] }, ...notThisRequest },
        select: { institution: { select: { code: true } } },
      });
      return {
        isRootKey: root !== null,
        certifiedFor: certificate && { issuerId: issuerIdOf(certificate.institution.code), revoked: certificate.status === 'REVOKED' },
        requestedBy: requests.map((r) => issuerIdOf(r.institution.code)),
      };
    },

    async serialUsed(issuerId, serial) {
      const certificates = await tx.certificate.count({ where: { serial, institution: ofIssuer(issuerId) } });
      const requests = await tx.certificateRequest.count({
        where: { requestedSerial: serial, state: { in: [...OPEN_REQUEST_STATES] }, institution: ofIssuer(issuerId), ...notThisRequest },
      });
      return certificates + requests > 0;
    },

    async activeCertificateCount(issuerId, at) {
      const active = await tx.certificate.count({ where: { status: 'ACTIVE', expiresAt: { gt: at }, institution: ofIssuer(issuerId) } });
      // A number reserved for another of the issuer's requests is a certificate about to exist.
      const inFlight = await tx.certificateNumberAllocation.count({
        where: { state: 'RESERVED', request: { institution: ofIssuer(issuerId), ...notThisRequest } },
      });
      return active + inFlight;
    },

    async rootKeyValidThrough() {
      const root = await tx.rootKey.findFirst({
        where: { state: 'ACTIVE', ...(scope.rootKeyId === undefined ? {} : { id: scope.rootKeyId }) },
        orderBy: { expiresOn: 'desc' },
        select: { expiresOn: true },
      });
      return root && expiryDay.end(calendarDayOf(root.expiresOn));
    },
  };
}
