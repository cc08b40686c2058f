/**
 * Issued certificates: how they are shown, listed and revoked. "Expired" is derived from the
 * MMYY at the instant asked about, never stored (profile §4).
 */
import { toHex } from '../bytes';
import { appendAuditEvent } from '../audit';
import type { Tx } from '../db/client';
import type { Prisma } from '../db/generated/client';
import { REVOCATION_REASONS, type RevocationReason } from '../codec';
import type { Result } from '../errors';
import { issuerCode, issuerIdOf } from './requestLookup';
import { formatIndex } from './rootKeyRules';
import { checkRole, type Operator } from './context';
import { requireActiveOperator } from './operators';
import type { CaServices } from './services';
import { refuse, transact } from './transaction';
import { formatExpiryMonth } from './validity';

/** The profile's reasons (§9, A4 codes 01–03, names from lib/codec) and their database enum values. */
const REASON_COLUMN = {
  keyCompromise: 'KEY_COMPROMISE',
  superseded: 'SUPERSEDED',
  issuerWithdrawn: 'ISSUER_WITHDRAWN',
} as const satisfies Record<RevocationReason, string>;

const reasonOf = (column: (typeof REASON_COLUMN)[RevocationReason]): RevocationReason =>
  REVOCATION_REASONS.find((r) => REASON_COLUMN[r] === column)!;

export type CertificateStatus = 'ACTIVE' | 'REVOKED' | 'EXPIRED';

export interface CertificateView {
  /** Eight hex digits, as QR field 4 carries it. */
  readonly number: string;
  readonly issuerId: string;
  readonly serial: number;
  /** MMYY. */
  readonly expiry: string;
  readonly expiresAt: string;
  readonly status: CertificateStatus;
  readonly rootKeyIndex: string;
  readonly requestId: number;
  readonly issuedAt: string;
  readonly revokedAt: string | null;
  readonly revocationReason: RevocationReason | null;
  /** The 106 certificate bytes, hex. */
  readonly certificate: string;
}

/** What certificateView reads besides the certificate row. */
export const CERTIFICATE_INCLUDE = { institution: { select: { code: true } }, rootKey: { select: { index: true } } } as const;
type CertificateRow = Prisma.CertificateGetPayload<{ include: typeof CERTIFICATE_INCLUDE }>;

export const formatCertificateNumber = (n: bigint | number): string => n.toString(16).toUpperCase().padStart(8, '0');

export function certificateView(c: CertificateRow, at: Date): CertificateView {
  const status: CertificateStatus = c.status === 'REVOKED' ? 'REVOKED' : c.expiresAt.getTime() <= at.getTime() ? 'EXPIRED' : 'ACTIVE';
  return {
    number: formatCertificateNumber(c.number),
    issuerId: toHex(c.institution.code).toUpperCase(),
    serial: c.serial,
    expiry: formatExpiryMonth({ month: c.expiryMonth, year: c.expiryYear }),
    expiresAt: c.expiresAt.toISOString(),
    status,
    rootKeyIndex: formatIndex(c.rootKey.index),
    requestId: c.requestId,
    issuedAt: c.issuedAt.toISOString(),
    revokedAt: c.revokedAt?.toISOString() ?? null,
    revocationReason: c.revocationReason && reasonOf(c.revocationReason),
    certificate: toHex(c.bytes),
  };
}

export interface CertificateFilter {
  readonly issuerId?: number;
  readonly status?: CertificateStatus;
}

/** The rows a filter selects at `now` (EXPIRED is derived: ACTIVE and past its end). */
export function certificateWhere(filter: CertificateFilter, now: Date): Prisma.CertificateWhereInput {
  return {
    ...(filter.issuerId === undefined ? {} : { institution: { kind: 'ISSUER', code: issuerCode(filter.issuerId) } }),
    ...(filter.status === 'REVOKED' ? { status: 'REVOKED' } : {}),
    ...(filter.status === 'ACTIVE' ? { status: 'ACTIVE', expiresAt: { gt: now } } : {}),
    ...(filter.status === 'EXPIRED' ? { status: 'ACTIVE', expiresAt: { lte: now } } : {}),
  };
}

export async function listCertificates(ca: CaServices, filter: CertificateFilter = {}): Promise<CertificateView[]> {
  const now = ca.now();
  const rows = await ca.prisma.certificate.findMany({ where: certificateWhere(filter, now), orderBy: { number: 'asc' }, include: CERTIFICATE_INCLUDE });
  return rows.map((c) => certificateView(c, now));
}

export async function showCertificate(ca: CaServices, number: number): Promise<Result<CertificateView>> {
  const row = await ca.prisma.certificate.findUnique({ where: { number: BigInt(number) }, include: CERTIFICATE_INCLUDE });
  return row
    ? { ok: true, value: certificateView(row, ca.now()) }
    : { ok: false, error: { code: 'CERTIFICATE_UNKNOWN', message: `no certificate ${formatCertificateNumber(number)}`, field: 'number' } };
}

export type AllocationState = 'RESERVED' | 'ISSUED' | 'FAILED';

/** One certificate number as issuance left it: reserved, issued, or failed with its reason. */
export interface AllocationView {
  readonly number: string;
  readonly state: AllocationState;
  readonly requestId: number;
  readonly rootKeyIndex: string;
  readonly reservedAt: string;
  readonly failure: { readonly code: string; readonly reason: string | null } | null;
  /** The 106 bytes the HSM signed under this number (hex), stored as a certificate or not. */
  readonly signed: string | null;
  readonly signedAt: string | null;
}

/** Every number handed out, in order; `state` narrows it (FAILED: the ones that never became certificates). */
export async function listAllocations(ca: CaServices, filter: { readonly state?: AllocationState } = {}): Promise<AllocationView[]> {
  const rows = await ca.prisma.certificateNumberAllocation.findMany({
    where: filter.state ? { state: filter.state } : {},
    orderBy: { number: 'asc' },
    include: { rootKey: { select: { index: true } } },
  });
  return rows.map((a) => ({
    number: formatCertificateNumber(a.number),
    state: a.state,
    requestId: a.requestId,
    rootKeyIndex: formatIndex(a.rootKey.index),
    reservedAt: a.reservedAt.toISOString(),
    failure: a.failureCode === null ? null : { code: a.failureCode, reason: a.failureReason },
    signed: a.signedBytes && toHex(a.signedBytes),
    signedAt: a.signedAt?.toISOString() ?? null,
  }));
}

/** ACTIVE → REVOKED with a profile reason code. Revoking twice is an error, not a no-op. */
export async function revokeCertificate(ca: CaServices, actor: Operator, number: number, reason: RevocationReason): Promise<Result<CertificateView>> {
  const allowed = checkRole(actor, ['OFFICER'], 'revoke certificates');
  if (!allowed.ok) return allowed;
  if (!REVOCATION_REASONS.includes(reason)) {
    return { ok: false, error: { code: 'REVOCATION_REASON', message: `reason must be one of ${REVOCATION_REASONS.join(', ')}`, field: 'reason' } };
  }
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    const now = ca.now();
    return certificateView(await revokeInTransaction(tx, actor, BigInt(number), reason, now), now);
  });
}

/**
 * Revokes one certificate inside the caller's transaction, with its own audit event: the one
 * place a certificate becomes REVOKED (an officer's revocation, or its issuer's withdrawal).
 * `cause` names what led to it when that was not a revocation request.
 */
export async function revokeInTransaction(tx: Tx, actor: Operator, number: bigint, reason: RevocationReason, now: Date, cause?: Readonly<Record<string, string>>) {
  await tx.$queryRaw`SELECT id FROM certificate WHERE number = ${number} FOR UPDATE`;
  const current = await tx.certificate.findUnique({ where: { number } });
  if (!current) refuse('CERTIFICATE_UNKNOWN', `no certificate ${formatCertificateNumber(Number(number))}`, { field: 'number' });
  if (current.status === 'REVOKED') refuse('CERTIFICATE_ALREADY_REVOKED', `certificate ${formatCertificateNumber(Number(number))} is already revoked`, { field: 'number' });
  const revoked = await tx.certificate.update({
    where: { number },
    data: { status: 'REVOKED', revokedAt: now, revocationReason: REASON_COLUMN[reason], revokedById: actor.id },
    include: CERTIFICATE_INCLUDE,
  });
  await appendAuditEvent(tx, {
    actor,
    action: 'certificate.revoked',
    objectType: 'certificate',
    objectId: number.toString(),
    details: { reason, reasonCode: REVOCATION_REASONS.indexOf(reason) + 1, issuerId: issuerIdOf(revoked.institution.code), serial: revoked.serial, ...cause },
    time: now,
  });
  return revoked;
}
