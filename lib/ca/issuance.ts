/**
 * Issuance of an approved request, in two transactions around the HSM call:
 *
 *   T1  lock the request, re-run the state checks, take the next certificate number under the
 *       counter's row lock, record the allocation RESERVED, audit, commit;
 *   HSM sign M_cert with the chosen root key; the 106 signed bytes are committed with the number
 *       (their own small transaction and audit event), then re-verified on the host with the
 *       terminal algorithm (verifyIssuerCertificate);
 *   T2  store the certificate, allocation ISSUED, request ISSUED, re-check the issuer and the root
 *       key under share locks, audit, commit — or, when anything after T1 failed, T2' marks the
 *       allocation FAILED with the reason (and the signed bytes, if there are any).
 *
 * The number is committed before the HSM is asked, so every number ends as a certificate or a
 * recorded failure; the certificate is returned only after T2 commits. A process killed between
 * T1 and T2 leaves a RESERVED allocation that `recoverInterruptedIssuances` fails at start-up.
 */
import { appendAuditEvent, SYSTEM_ACTOR } from '../audit';
import { toHex } from '../bytes';
import { CERTIFICATE_NUMBER_MAX, expiryMonth, issuerCertificate, issuerKeyData, verifyIssuerCertificate, type IssuerKeyData } from '../codec';
import { sm2 } from '../crypto/sm2';
import type { Tx } from '../db/client';
import { nextCounterValue } from '../db/counters';
import { TqException, type Result, type TqError } from '../errors';
import { CERTIFICATE_INCLUDE, certificateView, type CertificateView } from './certificates';
import { checkRole, type Operator } from './context';
import { requireActiveOperator } from './operators';
import { checkBeforeIssuance, type RequestPolicy } from './requestChecks';
import { calendarDayOf, databaseRequestLookup, issuerStatusHeld, lockIssuer, rootKeyHeld } from './requestLookup';
import { decodeStoredRequest } from './requests';
import { formatIndex, rootKeyUsable } from './rootKeyRules';
import type { CaServices } from './services';
import { refuse, refuseWith, transact } from './transaction';

const COUNTER = 'certificate_number';

interface Reservation {
  readonly number: bigint;
  readonly requestId: number;
  readonly issuerId: number;
  readonly rootKey: { readonly id: number; readonly index: number; readonly hsmKeyId: Uint8Array; readonly publicKey: Uint8Array };
  readonly keyData: IssuerKeyData;
}

/** Issues the certificate of an APPROVED request; answers it only once it is committed. */
export async function issueCertificate(ca: CaServices, actor: Operator, requestId: number, policy?: RequestPolicy): Promise<Result<CertificateView>> {
  const allowed = checkRole(actor, ['OFFICER'], 'issue certificates');
  if (!allowed.ok) return allowed;
  const reserved = await reserveNumber(ca, actor, requestId, policy);
  if (!reserved.ok) return reserved;
  const signed = await signCertificate(ca, reserved.value);
  if (!signed.ok) return failAllocation(ca, actor, reserved.value, signed.error);
  const stored = await settleSigned(ca, actor, reserved.value, signed.value);
  return stored.ok ? stored : failAllocation(ca, actor, reserved.value, stored.error, signed.value);
}

/**
 * What follows a signature: its bytes are committed with the number first (every signature the
 * root key makes is accounted for, stored or not), then verified as a terminal verifies them,
 * then stored (T2).
 */
async function settleSigned(ca: CaServices, actor: Operator, r: Reservation, certificate: Uint8Array): Promise<Result<CertificateView>> {
  try {
    const recorded = await recordSignedBytes(ca, actor, r, certificate);
    if (!recorded.ok) return recorded;
    const verified = verifyBeforeStoring(ca, r, certificate);
    if (!verified.ok) return verified;
    return await storeCertificate(ca, actor, r, certificate);
  } catch (thrown) {
    return { ok: false, error: { code: 'STORE_FAILED', message: thrown instanceof Error ? thrown.message : String(thrown) } };
  }
}

async function reserveNumber(ca: CaServices, actor: Operator, requestId: number, policy?: RequestPolicy): Promise<Result<Reservation>> {
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    await tx.$queryRaw`SELECT id FROM certificate_request WHERE id = ${requestId} FOR UPDATE`;
    const request = await tx.certificateRequest.findUnique({ where: { id: requestId }, include: { rootKey: true } });
    if (!request) refuse('REQUEST_UNKNOWN', `no request ${requestId}`, { field: 'requestId' });
    if (request.state !== 'APPROVED') refuse('REQUEST_STATE', `the request is ${request.state.toLowerCase()}, not approved`, { field: 'requestId' });
    const pending = await tx.certificateNumberAllocation.count({ where: { requestId, state: 'RESERVED' } });
    if (pending > 0) refuse('ISSUANCE_IN_PROGRESS', 'a certificate number is already reserved for this request');
    const root = request.rootKey!;
    const now = ca.now();
    if (!rootKeyUsable(root.state, calendarDayOf(root.expiresOn), now)) {
      refuse('ROOT_KEY_NOT_USABLE', `root key ${formatIndex(root.index)} is ${root.state.toLowerCase()} or past its expiry`, { field: 'rootKeyIndex' });
    }
    const decoded = decodeStoredRequest(request.a1Record);
    await lockIssuer(tx, decoded.issuerId);
    const failure = await checkBeforeIssuance({
      request: decoded,
      lookup: databaseRequestLookup(tx, { excludeRequestId: requestId, rootKeyId: root.id }),
      now,
      policy,
    });
    if (failure) refuseWith(failure);

    const number = await nextCertificateNumber(tx);
    await tx.certificateNumberAllocation.create({ data: { number, requestId, rootKeyId: root.id, state: 'RESERVED', reservedAt: now } });
    await appendAuditEvent(tx, {
      actor,
      action: 'certificateNumber.reserved',
      objectType: 'certificateNumber',
      objectId: number.toString(),
      details: { requestId, rootKeyIndex: formatIndex(root.index) },
      time: now,
    });
    return {
      number,
      requestId,
      issuerId: decoded.issuerId,
      rootKey: { id: root.id, index: root.index, hsmKeyId: root.hsmKeyId, publicKey: root.publicKey },
      keyData: { expiry: decoded.expiry, serial: decoded.serial, publicKey: decoded.publicKey },
    };
  });
}

/** Gapless and increasing (lib/db/counters): a rolled-back reservation gives its number back. */
async function nextCertificateNumber(tx: Tx): Promise<bigint> {
  const value = await nextCounterValue(tx, COUNTER);
  if (value > BigInt(CERTIFICATE_NUMBER_MAX)) refuse('CERTIFICATE_NUMBERS_EXHAUSTED', 'every certificate number up to FFFFFFFE is used');
  return value;
}

/** The HSM signs M_cert (74 bytes); the answer is the assembled 106-byte certificate. */
async function signCertificate(ca: CaServices, r: Reservation): Promise<Result<Uint8Array>> {
  try {
    const signature = await ca.keys.sign({ id: r.rootKey.hsmKeyId }, issuerKeyData.encode(r.keyData));
    return signature.ok ? { ok: true, value: issuerCertificate.assemble(r.keyData, signature.value) } : signature;
  } catch (thrown) {
    if (thrown instanceof TqException) return { ok: false, error: thrown.error };
    throw thrown;
  }
}

/** Its own small committed step, so a crash or a failed T2 after it still leaves the signed bytes. */
async function recordSignedBytes(ca: CaServices, actor: Operator, r: Reservation, certificate: Uint8Array): Promise<Result<void>> {
  return transact(ca.prisma, async (tx) => {
    const now = ca.now();
    // Whatever the number's state: recovery may have failed it meanwhile, the signature still exists.
    await tx.certificateNumberAllocation.updateMany({
      where: { number: r.number, signedBytes: null },
      data: { signedBytes: certificate as Uint8Array<ArrayBuffer>, signedAt: now },
    });
    await appendAuditEvent(tx, {
      actor,
      action: 'certificateNumber.signed',
      objectType: 'certificateNumber',
      objectId: r.number.toString(),
      details: { requestId: r.requestId, rootKeyIndex: formatIndex(r.rootKey.index), certificate: toHex(certificate) },
      time: now,
    });
  });
}

/** The terminal's own algorithm, on the bytes about to be stored (§8: re-verify before storing). */
function verifyBeforeStoring(ca: CaServices, r: Reservation, certificate: Uint8Array): Result<void> {
  const rootKey = sm2.publicKeyFromBytes(r.rootKey.publicKey);
  if (!rootKey.ok) return rootKey;
  const verified = verifyIssuerCertificate(certificate, rootKey.value, ca.now());
  return verified.ok ? { ok: true, value: undefined } : verified;
}

async function storeCertificate(ca: CaServices, actor: Operator, r: Reservation, bytes: Uint8Array): Promise<Result<CertificateView>> {
  return transact(ca.prisma, async (tx) => {
    await tx.$queryRaw`SELECT number FROM certificate_number_allocation WHERE number = ${r.number} FOR UPDATE`;
    const allocation = await tx.certificateNumberAllocation.findUniqueOrThrow({ where: { number: r.number } });
    // Recovery may have failed a reservation it took for a crashed one; such a number stays failed.
    if (allocation.state !== 'RESERVED') refuse('ALLOCATION_STATE', `certificate number ${r.number} is ${allocation.state.toLowerCase()}`);
    const now = ca.now();
    const request = await tx.certificateRequest.update({ where: { id: r.requestId }, data: { state: 'ISSUED', issuedAt: now } });
    const certificate = await tx.certificate.create({
      data: {
        number: r.number,
        institutionId: request.institutionId,
        serial: r.keyData.serial,
        requestId: r.requestId,
        rootKeyId: r.rootKey.id,
        bytes: bytes as Uint8Array<ArrayBuffer>,
        publicKey: r.keyData.publicKey.bytes as Uint8Array<ArrayBuffer>,
        expiryMonth: r.keyData.expiry.month,
        expiryYear: r.keyData.expiry.year,
        expiresAt: new Date(expiryMonth.end(r.keyData.expiry).getTime() + 1),
        issuedAt: now,
      },
      include: CERTIFICATE_INCLUDE,
    });
    await tx.certificateNumberAllocation.update({ where: { number: r.number }, data: { state: 'ISSUED', completedAt: now } });
    // A withdrawal committed since T1 revoked the issuer's live certificates; this one must not
    // appear after it, unrevoked. The issuer's row lock orders the two; taken after the writes,
    // it is not held while they wait, which would hold up the issuer's next reservations too.
    const issuerStatus = await issuerStatusHeld(tx, r.issuerId);
    if (issuerStatus !== 'ACTIVE') refuse('ISSUER_NOT_ACTIVE', `issuer is ${issuerStatus?.toLowerCase() ?? 'unknown'}`, { field: 'issuerId' });
    // Likewise a retirement of the root key: a retired key's signature must not become a live certificate.
    const rootKey = await rootKeyHeld(tx, r.rootKey.id);
    if (!rootKeyUsable(rootKey.state, calendarDayOf(rootKey.expiresOn), now)) {
      refuse('ROOT_KEY_NOT_USABLE', `root key ${formatIndex(r.rootKey.index)} is ${rootKey.state.toLowerCase()} or past its expiry`, { field: 'rootKeyIndex' });
    }
    await appendAuditEvent(tx, {
      actor,
      action: 'certificate.issued',
      objectType: 'certificate',
      objectId: r.number.toString(),
      details: { requestId: r.requestId, serial: r.keyData.serial, rootKeyIndex: formatIndex(r.rootKey.index) },
      time: now,
    });
    return certificateView(certificate, now);
  });
}

/** T2': the number ends FAILED with the reason and, when the HSM had signed, the signed bytes. */
async function failAllocation(ca: CaServices, actor: Operator, r: Reservation, error: TqError, certificate?: Uint8Array): Promise<Result<never>> {
  const recorded = await transact(ca.prisma, async (tx) => {
    const now = ca.now();
    if (certificate) {
      // Normally recorded already; not when that step is what failed.
      await tx.certificateNumberAllocation.updateMany({
        where: { number: r.number, signedBytes: null },
        data: { signedBytes: certificate as Uint8Array<ArrayBuffer>, signedAt: now },
      });
    }
    const { count } = await tx.certificateNumberAllocation.updateMany({
      where: { number: r.number, state: 'RESERVED' },
      data: { state: 'FAILED', failureCode: error.code, failureReason: error.message, completedAt: now },
    });
    if (count === 1) {
      await appendAuditEvent(tx, {
        actor,
        action: 'certificateNumber.failed',
        objectType: 'certificateNumber',
        objectId: r.number.toString(),
        details: { requestId: r.requestId, code: error.code, reason: error.message, ...(certificate ? { certificate: toHex(certificate) } : {}) },
        time: now,
      });
    }
  });
  if (!recorded.ok) return recorded;
  return { ok: false, error: { ...error, details: { ...error.details, certificateNumber: r.number.toString() } } };
}

/**
 * Start-up recovery: RESERVED allocations taken before `before` (the instant this process
 * started, or the crash) belong to a process that is gone; each becomes FAILED with the reason.
 * One with signed bytes was signed and not stored; one without may still have been signed by the
 * HSM (the process stopped between the signature and its recording), which nothing here can know.
 * Its request stays APPROVED and may be issued again under a new number.
 */
export async function recoverInterruptedIssuances(ca: CaServices, before: Date): Promise<Result<bigint[]>> {
  return transact(ca.prisma, async (tx) => {
    const stale = await tx.$queryRaw<{ number: bigint; request_id: number; signed_bytes: Uint8Array | null }[]>`
      SELECT number, request_id, signed_bytes FROM certificate_number_allocation
      WHERE state = 'RESERVED' AND reserved_at < ${before} ORDER BY number FOR UPDATE`;
    const now = ca.now();
    for (const { number, request_id: requestId, signed_bytes: signed } of stale) {
      const failureReason = signed
        ? 'the issuing process stopped after the HSM signed, before the certificate was stored (the signed bytes are recorded)'
        : 'the issuing process stopped before a signature was recorded (the HSM may have signed)';
      await tx.certificateNumberAllocation.update({
        where: { number },
        data: { state: 'FAILED', failureCode: 'ISSUANCE_INTERRUPTED', failureReason, completedAt: now },
      });
      await appendAuditEvent(tx, {
        actor: SYSTEM_ACTOR,
        action: 'certificateNumber.failed',
        objectType: 'certificateNumber',
        objectId: number.toString(),
        details: { requestId, code: 'ISSUANCE_INTERRUPTED', recovery: true, ...(signed ? { certificate: toHex(signed) } : { signed: 'unknown' }) },
        time: now,
      });
    }
    return stale.map((s) => BigInt(s.number));
  });
}
