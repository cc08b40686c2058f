/**
 * The issuer's side of the machine API (an issuer-scoped token, spec 6.1 i, 6.2 a): challenges and
 * A1 submissions for the token's own institution, and that institution's requests and certificates.
 * Everything is confined to the token's institution: another institution's request or certificate
 * is "unknown" (404), never "forbidden", so a token cannot probe what exists elsewhere. Each
 * challenge, submission, refused submission and certificate fetch is attributed to the token in
 * the audit chain (actor "system", the token's public id in the details, as acknowledgements are).
 */
import { appendAuditEvent, SYSTEM_ACTOR } from '../audit';
import { toHex } from '../bytes';
import { requestRecord } from '../codec';
import type { Prisma } from '../db/generated/client';
import { Code, err, ok, type Result } from '../errors';
import type { ApiClient } from './apiTokens';
import { CERTIFICATE_INCLUDE, certificateView, certificateWhere, formatCertificateNumber, type CertificateStatus } from './certificates';
import { createChallenge, REQUEST_INCLUDE, requestView, storeSubmission, type Attribution, type ChallengeView, type RequestRow } from './requests';
import { issuerIdOf } from './requestLookup';
import type { CaServices } from './services';
import { refuse, transact } from './transaction';

/** A request as its issuer sees it: `reviewed` is a submitted request whose fingerprint the center confirmed. */
export type IssuerRequestState = 'submitted' | 'reviewed' | 'approved' | 'issued' | 'rejected' | 'expired';
export const ISSUER_REQUEST_STATES = ['submitted', 'reviewed', 'approved', 'issued', 'rejected', 'expired'] as const satisfies readonly IssuerRequestState[];

export interface IssuerRequestView {
  readonly id: number;
  /** Eight hex digits. */
  readonly issuerId: string;
  readonly state: IssuerRequestState;
  readonly serial: number;
  /** MMYY. */
  readonly expiry: string;
  /** SM3(X‖Y)[0..7], read to the center's reviewer out of band. */
  readonly fingerprint: string;
  readonly submittedAt: string;
  readonly rejection: { readonly code: string | null; readonly reason: string | null } | null;
  readonly certificateNumber: string | null;
}

export type IssuerCertificateState = 'active' | 'revoked' | 'expired';
export const ISSUER_CERTIFICATE_STATES = ['active', 'revoked', 'expired'] as const satisfies readonly IssuerCertificateState[];

export interface IssuerCertificateSummary {
  readonly number: string;
  readonly state: IssuerCertificateState;
  readonly serial: number;
  readonly expiry: string;
  readonly expiresAt: string;
  readonly rootKeyIndex: string;
  readonly requestId: number;
  readonly issuedAt: string;
  readonly revokedAt: string | null;
  readonly revocationReason: string | null;
}

export interface IssuerCertificateView extends IssuerCertificateSummary {
  /** The 106 certificate bytes, hex. */
  readonly certificate: string;
  /** The 184-byte A3 record binding number and issuer id to it, hex (null until the first publication signs one). */
  readonly a3Record: string | null;
}

const tokenOf = (client: ApiClient): Attribution => ({ actor: SYSTEM_ACTOR, details: { token: client.publicId } });

function issuerRequestView(row: RequestRow): IssuerRequestView {
  const r = requestView(row);
  const state: IssuerRequestState = r.state === 'SUBMITTED' && r.fingerprintConfirmedAt !== null ? 'reviewed' : (r.state.toLowerCase() as IssuerRequestState);
  return { id: r.id, issuerId: r.issuerId, state, serial: r.serial, expiry: r.expiry, fingerprint: r.fingerprint, submittedAt: r.submittedAt, rejection: r.rejection, certificateNumber: r.certificateNumber };
}

/** A fresh single-use challenge for the token's institution (profile §8). */
export async function issueClientChallenge(ca: CaServices, client: ApiClient): Promise<Result<ChallengeView>> {
  return transact(ca.prisma, async (tx) => createChallenge(ca, tx, await tx.institution.findUniqueOrThrow({ where: { id: client.institutionId } }), tokenOf(client)));
}

/**
 * An A1 record submitted by the issuer's own system: it must name the token's institution, then
 * every §8 check runs exactly as for an officer's submission (one code per check). A refusal stores
 * nothing but its audit event, appended after the refused transaction rolled back.
 */
export async function submitClientRequest(ca: CaServices, client: ApiClient, a1: Uint8Array): Promise<Result<IssuerRequestView>> {
  const submitted = await submitAsClient(ca, client, a1);
  if (submitted.ok) return submitted;
  const recorded = await transact(ca.prisma, (tx) =>
    appendAuditEvent(tx, {
      actor: SYSTEM_ACTOR,
      action: 'certificateRequest.refused',
      objectType: 'institution',
      objectId: String(client.institutionId),
      details: { token: client.publicId, code: submitted.error.code, field: submitted.error.field ?? null, message: submitted.error.message },
      time: ca.now(),
    }),
  );
  return recorded.ok ? submitted : recorded;
}

async function submitAsClient(ca: CaServices, client: ApiClient, a1: Uint8Array): Promise<Result<IssuerRequestView>> {
  const decoded = requestRecord.decode(a1);
  if (!decoded.ok) return decoded;
  const own = Number.parseInt(client.institutionCode, 16);
  if (decoded.value.issuerId !== own) {
    const named = decoded.value.issuerId.toString(16).toUpperCase().padStart(8, '0');
    return err(Code.API_INSTITUTION_MISMATCH, `the A1 record names issuer ${named}, not the token’s ${client.institutionCode.toUpperCase()}`, { field: 'issuerId', offset: 1 });
  }
  const stored = await storeSubmission(ca, a1, decoded.value, tokenOf(client), undefined, async () => undefined);
  if (!stored.ok) return stored;
  return showClientRequest(ca, client, stored.value.id);
}

const unknownRequest = (id: number): Result<never> => err('REQUEST_UNKNOWN', `no request ${id}`, { field: 'requestId' });

export async function showClientRequest(ca: CaServices, client: ApiClient, id: number): Promise<Result<IssuerRequestView>> {
  const row = await ca.prisma.certificateRequest.findFirst({ where: { id, institutionId: client.institutionId }, include: REQUEST_INCLUDE });
  return row ? ok(issuerRequestView(row)) : unknownRequest(id);
}

/** The token institution's requests, oldest first; `state` narrows them. */
export async function listClientRequests(ca: CaServices, client: ApiClient, state?: IssuerRequestState): Promise<IssuerRequestView[]> {
  const where: Prisma.CertificateRequestWhereInput =
    state === undefined
      ? {}
      : state === 'reviewed'
        ? { state: 'SUBMITTED', fingerprintConfirmedAt: { not: null } }
        : state === 'submitted'
          ? { state: 'SUBMITTED', fingerprintConfirmedAt: null }
          : { state: state.toUpperCase() as Uppercase<typeof state> };
  const rows = await ca.prisma.certificateRequest.findMany({ where: { ...where, institutionId: client.institutionId }, orderBy: { id: 'asc' }, include: REQUEST_INCLUDE });
  return rows.map(issuerRequestView);
}

type CertificateRow = Prisma.CertificateGetPayload<{ include: typeof CERTIFICATE_INCLUDE }>;

function summary(row: CertificateRow, now: Date): IssuerCertificateSummary {
  const c = certificateView(row, now);
  return {
    number: c.number,
    state: c.status.toLowerCase() as IssuerCertificateState,
    serial: c.serial,
    expiry: c.expiry,
    expiresAt: c.expiresAt,
    rootKeyIndex: c.rootKeyIndex,
    requestId: c.requestId,
    issuedAt: c.issuedAt,
    revokedAt: c.revokedAt,
    revocationReason: c.revocationReason,
  };
}

/** The token institution's certificates in number order; `state` narrows them (expired is derived, as everywhere). */
export async function listClientCertificates(ca: CaServices, client: ApiClient, state?: IssuerCertificateState): Promise<IssuerCertificateSummary[]> {
  const now = ca.now();
  const filter = state === undefined ? {} : { status: state.toUpperCase() as CertificateStatus };
  const rows = await ca.prisma.certificate.findMany({
    where: { ...certificateWhere(filter, now), institutionId: client.institutionId },
    orderBy: { number: 'asc' },
    include: CERTIFICATE_INCLUDE,
  });
  return rows.map((r) => summary(r, now));
}

/** One of the token institution's certificates with its bytes and A3; the fetch is audited. */
export async function fetchClientCertificate(ca: CaServices, client: ApiClient, number: number): Promise<Result<IssuerCertificateView>> {
  const now = ca.now();
  return transact(ca.prisma, async (tx) => {
    const row = await tx.certificate.findFirst({ where: { number: BigInt(number), institutionId: client.institutionId }, include: CERTIFICATE_INCLUDE });
    if (!row) refuse('CERTIFICATE_UNKNOWN', `no certificate ${formatCertificateNumber(number)}`, { field: 'number' });
    await appendAuditEvent(tx, {
      actor: SYSTEM_ACTOR,
      action: 'certificate.fetched',
      objectType: 'certificate',
      objectId: number.toString(),
      details: { token: client.publicId, issuerId: issuerIdOf(row.institution.code) },
      time: now,
    });
    return { ...summary(row, now), certificate: toHex(row.bytes), a3Record: row.a3Record && toHex(row.a3Record) };
  });
}
