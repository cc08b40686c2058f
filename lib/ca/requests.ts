/**
 * Certificate requests (TQ-CERT-1 §8): single-use challenges, submission of A1 records with
 * every §8 check, review with out-of-band fingerprint confirmation, approval under dual control
 * (the approver is never the reviewer), rejection. States: SUBMITTED → APPROVED → ISSUED, or
 * REJECTED / EXPIRED. Issuance itself lives in lib/ca/issuance.ts.
 */
import { randomBytes } from 'node:crypto';
import { toHex } from '../bytes';
import { CHALLENGE_LENGTH, requestRecord, type RequestRecord } from '../codec';
import { appendAuditEvent, type AuditActor } from '../audit';
import type { Tx } from '../db/client';
import type { Institution, Prisma } from '../db/generated/client';
import { TqException, type Result } from '../errors';
import { formatCertificateNumber } from './certificates';
import { checkSubmission, keyFingerprint, type RequestPolicy } from './requestChecks';
import { calendarDayOf, databaseRequestLookup, issuerCode, lockIssuer } from './requestLookup';
import { formatIndex, rootKeyUsable } from './rootKeyRules';
import { formatExpiryMonth } from './validity';
import { checkRole, type Operator } from './context';
import { requireActiveOperator } from './operators';
import { refusedApproval } from './refusals';
import type { CaServices } from './services';
import { refuse, refuseWith, transact } from './transaction';

export const CHALLENGE_LIFETIME_MS = 24 * 3_600_000;

export interface ChallengeView {
  readonly issuerId: string;
  /** 16 bytes, hex: bytes 77–92 of the A1 record. */
  readonly challenge: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
}

export type RequestState = 'SUBMITTED' | 'APPROVED' | 'ISSUED' | 'REJECTED' | 'EXPIRED';

export interface RequestView {
  readonly id: number;
  readonly issuerId: string;
  readonly state: RequestState;
  readonly serial: number;
  /** MMYY. */
  readonly expiry: string;
  readonly publicKey: string;
  /** SM3(X‖Y)[0..7]: read to the issuer's officer out of band before approval. */
  readonly fingerprint: string;
  readonly submittedAt: string;
  readonly reviewedBy: number | null;
  readonly fingerprintConfirmedAt: string | null;
  readonly approvedBy: number | null;
  readonly rootKeyIndex: string | null;
  readonly rejection: { readonly code: string | null; readonly reason: string | null } | null;
  readonly issuedAt: string | null;
  readonly certificateNumber: string | null;
}

export const REQUEST_INCLUDE = {
  institution: { select: { code: true } },
  rootKey: { select: { index: true } },
  certificate: { select: { number: true } },
} as const;
export type RequestRow = Prisma.CertificateRequestGetPayload<{ include: typeof REQUEST_INCLUDE }>;

export function requestView(r: RequestRow): RequestView {
  return {
    id: r.id,
    issuerId: toHex(r.institution.code).toUpperCase(),
    state: r.state,
    serial: r.requestedSerial,
    expiry: formatExpiryMonth({ month: r.requestedExpiryMonth, year: r.requestedExpiryYear }),
    publicKey: toHex(r.publicKey),
    fingerprint: toHex(r.fingerprint),
    submittedAt: r.submittedAt.toISOString(),
    reviewedBy: r.reviewedById,
    fingerprintConfirmedAt: r.fingerprintConfirmedAt?.toISOString() ?? null,
    approvedBy: r.approvedById,
    rootKeyIndex: r.rootKey ? formatIndex(r.rootKey.index) : null,
    rejection: r.state === 'REJECTED' ? { code: r.rejectionCode, reason: r.rejectionReason } : null,
    issuedAt: r.issuedAt?.toISOString() ?? null,
    certificateNumber: r.certificate ? formatCertificateNumber(r.certificate.number) : null,
  };
}

/** A stored A1 record, decoded again (it passed every check when it was stored). */
export function decodeStoredRequest(a1: Uint8Array): RequestRecord {
  const decoded = requestRecord.decode(a1);
  if (!decoded.ok) throw new TqException({ ...decoded.error, code: 'STORED_REQUEST_CORRUPT', details: { cause: decoded.error.code } });
  return decoded.value;
}

async function issuer(tx: Tx, issuerId: number) {
  const found = await tx.institution.findUnique({ where: { kind_code: { kind: 'ISSUER', code: issuerCode(issuerId) } } });
  if (!found) refuse('ISSUER_UNKNOWN', 'no issuer is registered with this id', { field: 'issuerId', details: { issuerId } });
  return found;
}

/** A fresh single-use challenge for an issuer, valid 24 hours. */
export async function issueChallenge(ca: CaServices, actor: Operator, issuerId: number): Promise<Result<ChallengeView>> {
  const allowed = checkRole(actor, ['OFFICER'], 'issue challenges');
  if (!allowed.ok) return allowed;
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    return createChallenge(ca, tx, await issuer(tx, issuerId), { actor });
  });
}

/** Who a challenge or a submission is attributed to in the audit chain: an operator, or an API token (lib/ca/issuerApi.ts). */
export interface Attribution {
  readonly actor: AuditActor;
  /** Added to the event's details: the token's public id for an API client. */
  readonly details?: Readonly<Record<string, unknown>>;
}

export async function createChallenge(ca: CaServices, tx: Tx, institution: Institution, by: Attribution): Promise<ChallengeView> {
  if (institution.status !== 'ACTIVE') refuse('ISSUER_NOT_ACTIVE', `issuer is ${institution.status.toLowerCase()}`, { field: 'issuerId' });
  const now = ca.now();
  const challenge = await tx.challenge.create({
    data: {
      institutionId: institution.id,
      value: new Uint8Array(randomBytes(CHALLENGE_LENGTH)),
      issuedAt: now,
      expiresAt: new Date(now.getTime() + CHALLENGE_LIFETIME_MS),
    },
  });
  await appendAuditEvent(tx, {
    actor: by.actor,
    action: 'challenge.issued',
    objectType: 'challenge',
    objectId: String(challenge.id),
    details: { issuerId: toHex(institution.code), expiresAt: challenge.expiresAt, ...by.details },
    time: now,
  });
  return {
    issuerId: toHex(institution.code).toUpperCase(),
    challenge: toHex(challenge.value),
    issuedAt: challenge.issuedAt.toISOString(),
    expiresAt: challenge.expiresAt.toISOString(),
  };
}

/**
 * Takes an A1 record: decoded at the edge (format bytes, curve, key on curve, even Y), then every
 * §8 check inside the transaction that consumes the challenge and stores the request.
 */
export async function submitRequest(ca: CaServices, actor: Operator, a1: Uint8Array, policy?: RequestPolicy): Promise<Result<RequestView>> {
  const allowed = checkRole(actor, ['OFFICER'], 'submit certificate requests');
  if (!allowed.ok) return allowed;
  const decoded = requestRecord.decode(a1);
  if (!decoded.ok) return decoded;
  return storeSubmission(ca, a1, decoded.value, { actor }, policy, (tx) => requireActiveOperator(tx, actor));
}

/** The §8 checks and the write of one decoded A1, after `precheck` (who submits) in the same transaction. */
export async function storeSubmission(
  ca: CaServices,
  a1: Uint8Array,
  record: RequestRecord,
  by: Attribution,
  policy: RequestPolicy | undefined,
  precheck: (tx: Tx) => Promise<unknown>,
): Promise<Result<RequestView>> {
  return transact(ca.prisma, async (tx) => {
    await precheck(tx);
    // Two submissions of one challenge serialise here; the second sees it used.
    await tx.$queryRaw`SELECT id FROM challenge WHERE value = ${record.challenge} FOR UPDATE`;
    await lockIssuer(tx, record.issuerId);
    const now = ca.now();
    const failure = await checkSubmission({ request: record, lookup: databaseRequestLookup(tx), now, policy });
    if (failure) refuseWith(failure);
    const institution = await issuer(tx, record.issuerId);
    const challenge = await tx.challenge.update({ where: { value: record.challenge as Uint8Array<ArrayBuffer> }, data: { usedAt: now } });
    const request = await tx.certificateRequest.create({
      data: {
        institutionId: institution.id,
        a1Record: a1 as Uint8Array<ArrayBuffer>,
        requestedSerial: record.serial,
        requestedExpiryMonth: record.expiry.month,
        requestedExpiryYear: record.expiry.year,
        publicKey: record.publicKey.bytes as Uint8Array<ArrayBuffer>,
        fingerprint: Buffer.from(keyFingerprint(record.publicKey), 'hex') as Uint8Array<ArrayBuffer>,
        challengeId: challenge.id,
        submittedAt: now,
      },
      include: REQUEST_INCLUDE,
    });
    await appendAuditEvent(tx, {
      actor: by.actor,
      action: 'certificateRequest.submitted',
      objectType: 'certificateRequest',
      objectId: String(request.id),
      details: { issuerId: toHex(institution.code), serial: record.serial, fingerprint: request.fingerprint, challengeId: challenge.id, ...by.details },
      time: now,
    });
    return requestView(request);
  });
}

/** Locks a request row for the rest of the transaction and loads it. */
async function lockRequest(tx: Tx, requestId: number): Promise<RequestRow> {
  await tx.$queryRaw`SELECT id FROM certificate_request WHERE id = ${requestId} FOR UPDATE`;
  const request = await tx.certificateRequest.findUnique({ where: { id: requestId }, include: REQUEST_INCLUDE });
  if (!request) refuse('REQUEST_UNKNOWN', `no request ${requestId}`, { field: 'requestId' });
  return request;
}

function requireState(request: RequestRow, ...states: RequestState[]): void {
  if (!states.includes(request.state)) {
    refuse('REQUEST_STATE', `the request is ${request.state.toLowerCase()}, not ${states.join(' or ').toLowerCase()}`, {
      field: 'requestId',
      details: { state: request.state },
    });
  }
}

/**
 * Review: the reviewer enters the fingerprint the issuer's officer read to them out of band;
 * only a match records the confirmation.
 */
export async function reviewRequest(ca: CaServices, reviewer: Operator, requestId: number, confirmedFingerprint: string): Promise<Result<RequestView>> {
  const allowed = checkRole(reviewer, ['OFFICER'], 'review certificate requests');
  if (!allowed.ok) return allowed;
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, reviewer);
    const request = await lockRequest(tx, requestId);
    requireState(request, 'SUBMITTED');
    if (request.reviewedById !== null) refuse('REQUEST_ALREADY_REVIEWED', 'the request was already reviewed', { field: 'requestId' });
    if (confirmedFingerprint.trim().toLowerCase() !== toHex(request.fingerprint)) {
      refuse('FINGERPRINT_MISMATCH', 'the fingerprint confirmed out of band does not match the requested key', { field: 'fingerprint' });
    }
    const now = ca.now();
    const reviewed = await tx.certificateRequest.update({
      where: { id: requestId },
      data: { reviewedById: reviewer.id, reviewedAt: now, fingerprintConfirmedAt: now },
      include: REQUEST_INCLUDE,
    });
    await appendAuditEvent(tx, {
      actor: reviewer,
      action: 'certificateRequest.reviewed',
      objectType: 'certificateRequest',
      objectId: String(requestId),
      details: { fingerprint: request.fingerprint },
      time: now,
    });
    return requestView(reviewed);
  });
}

/** Approval by a second officer, never the reviewer, naming the active root key that will sign. */
export async function approveRequest(ca: CaServices, approver: Operator, requestId: number, rootKeyIndex: number): Promise<Result<RequestView>> {
  const object = { type: 'certificateRequest', id: requestId };
  const allowed = checkRole(approver, ['OFFICER'], 'approve certificate requests');
  if (!allowed.ok) return refusedApproval(ca, approver, object, allowed.error);
  const approved = await transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, approver);
    const request = await lockRequest(tx, requestId);
    requireState(request, 'SUBMITTED');
    if (request.reviewedById === null || request.fingerprintConfirmedAt === null) {
      refuse('REQUEST_NOT_REVIEWED', 'the request needs a review with fingerprint confirmation first', { field: 'requestId' });
    }
    if (request.reviewedById === approver.id) {
      refuse('DUAL_CONTROL_SAME_OFFICER', 'the officer who reviewed the request cannot approve it', { field: 'approver' });
    }
    const now = ca.now();
    const root = await tx.rootKey.findUnique({ where: { index: rootKeyIndex } });
    if (!root || !rootKeyUsable(root.state, calendarDayOf(root.expiresOn), now)) {
      refuse('ROOT_KEY_NOT_USABLE', `root key ${formatIndex(rootKeyIndex)} is not active`, { field: 'rootKeyIndex' });
    }
    const approved = await tx.certificateRequest.update({
      where: { id: requestId },
      data: { state: 'APPROVED', approvedById: approver.id, approvedAt: now, rootKeyId: root.id },
      include: REQUEST_INCLUDE,
    });
    await appendAuditEvent(tx, {
      actor: approver,
      action: 'certificateRequest.approved',
      objectType: 'certificateRequest',
      objectId: String(requestId),
      details: { rootKeyIndex: formatIndex(rootKeyIndex) },
      time: now,
    });
    return requestView(approved);
  });
  return approved.ok ? approved : refusedApproval(ca, approver, object, approved.error);
}

/** Rejects a request that is not issued yet, with a code and a (required) reason for the issuer. */
export async function rejectRequest(ca: CaServices, actor: Operator, requestId: number, reason: string, code = 'REJECTED_BY_OFFICER'): Promise<Result<RequestView>> {
  const allowed = checkRole(actor, ['OFFICER'], 'reject certificate requests');
  if (!allowed.ok) return allowed;
  if (reason.trim() === '') return { ok: false, error: { code: 'REASON_REQUIRED', message: 'a rejection needs a reason', field: 'reason' } };
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    const request = await lockRequest(tx, requestId);
    requireState(request, 'SUBMITTED', 'APPROVED');
    const reserved = await tx.certificateNumberAllocation.count({ where: { requestId, state: 'RESERVED' } });
    if (reserved > 0) refuse('ISSUANCE_IN_PROGRESS', 'a certificate is being issued for this request');
    const now = ca.now();
    const rejected = await tx.certificateRequest.update({
      where: { id: requestId },
      data: { state: 'REJECTED', rejectedById: actor.id, rejectedAt: now, rejectionCode: code, rejectionReason: reason.trim() },
      include: REQUEST_INCLUDE,
    });
    await appendAuditEvent(tx, {
      actor,
      action: 'certificateRequest.rejected',
      objectType: 'certificateRequest',
      objectId: String(requestId),
      details: { code, reason: reason.trim() },
      time: now,
    });
    return requestView(rejected);
  });
}

export interface RequestFilter {
  readonly state?: RequestState;
  readonly issuerId?: number;
}

export async function listRequests(ca: CaServices, filter: RequestFilter = {}): Promise<RequestView[]> {
  const rows = await ca.prisma.certificateRequest.findMany({
    where: {
      ...(filter.state ? { state: filter.state } : {}),
      ...(filter.issuerId === undefined ? {} : { institution: { kind: 'ISSUER', code: issuerCode(filter.issuerId) } }),
    },
    orderBy: { id: 'asc' },
    include: REQUEST_INCLUDE,
  });
  return rows.map(requestView);
}

export async function showRequest(ca: CaServices, requestId: number): Promise<Result<RequestView>> {
  const row = await ca.prisma.certificateRequest.findUnique({ where: { id: requestId }, include: REQUEST_INCLUDE });
  return row ? { ok: true, value: requestView(row) } : { ok: false, error: { code: 'REQUEST_UNKNOWN', message: `no request ${requestId}`, field: 'requestId' } };
}

