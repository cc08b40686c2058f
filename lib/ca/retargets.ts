/**
 * Re-targeting an APPROVED request whose root key was retired (or expired) to another active
 * root key, under dual control: one officer requests it with a reason, a different officer
 * approves it. Approval re-runs every issuance check against the new root key (its expiry bounds
 * the certificate's); a check that fails ends the re-target FAILED with the code, and the request
 * keeps waiting. It replaces "reject and resubmit", which would cost the issuer a fresh key,
 * challenge and serial for a decision that was the CA's.
 */
import { appendAuditEvent } from '../audit';
import type { Tx } from '../db/client';
import type { Prisma } from '../db/generated/client';
import type { RetargetStatus } from '../db/generated/enums';
import { TqException, type Result, type TqError } from '../errors';
import { checkRole, type Operator } from './context';
import { requireActiveOperator } from './operators';
import { checkBeforeIssuance, type RequestPolicy } from './requestChecks';
import { calendarDayOf, databaseRequestLookup, lockIssuer } from './requestLookup';
import { decodeStoredRequest } from './requests';
import { formatIndex, rootKeyUsable } from './rootKeyRules';
import type { CaServices } from './services';
import { refuse, transact } from './transaction';

export interface RetargetView {
  readonly id: number;
  readonly requestId: number;
  readonly fromRootKeyIndex: string;
  readonly toRootKeyIndex: string;
  readonly reason: string;
  readonly status: RetargetStatus;
  readonly requestedBy: number;
  readonly approvedBy: number | null;
  readonly failure: { readonly code: string; readonly reason: string | null } | null;
}

const RETARGET_INCLUDE = { fromRootKey: { select: { index: true } }, toRootKey: { select: { index: true } } } as const;
type RetargetRow = Prisma.RequestRetargetGetPayload<{ include: typeof RETARGET_INCLUDE }>;

function retargetView(r: RetargetRow): RetargetView {
  return {
    id: r.id,
    requestId: r.requestId,
    fromRootKeyIndex: formatIndex(r.fromRootKey.index),
    toRootKeyIndex: formatIndex(r.toRootKey.index),
    reason: r.reason,
    status: r.status,
    requestedBy: r.requestedById,
    approvedBy: r.approvedById,
    failure: r.failureCode === null ? null : { code: r.failureCode, reason: r.failureReason },
  };
}

/** First officer: asks to move request `requestId` to the active root key `rootKeyIndex`. */
export async function requestRetarget(ca: CaServices, actor: Operator, requestId: number, rootKeyIndex: number, reason: string): Promise<Result<RetargetView>> {
  const allowed = checkRole(actor, ['OFFICER'], 're-target certificate requests');
  if (!allowed.ok) return allowed;
  if (reason.trim().length === 0) return { ok: false, error: { code: 'RETARGET_REASON_MISSING', message: 'a re-target needs a reason', field: 'reason' } };
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    const request = await retargetableRequest(tx, ca, requestId);
    const target = await usableRootKey(tx, ca, rootKeyIndex);
    if ((await tx.requestRetarget.count({ where: { requestId, status: 'PENDING' } })) > 0) {
      refuse('RETARGET_PENDING', 'a re-target of this request awaits approval', { field: 'requestId' });
    }
    const retarget = await tx.requestRetarget.create({
      data: { requestId, fromRootKeyId: request.rootKeyId!, toRootKeyId: target.id, reason: reason.trim(), requestedById: actor.id, requestedAt: ca.now() },
      include: RETARGET_INCLUDE,
    });
    await auditRetarget(tx, ca, actor, 'retargetRequested', retarget);
    return retargetView(retarget);
  });
}

/**
 * Second officer (not the requester): approves the re-target. The request must still be APPROVED
 * under the key the re-target names, and pass every issuance check against the new key.
 */
export async function approveRetarget(ca: CaServices, approver: Operator, retargetId: number, policy?: RequestPolicy): Promise<Result<RetargetView>> {
  const allowed = checkRole(approver, ['OFFICER'], 'approve re-targets');
  if (!allowed.ok) return allowed;
  const decided = await transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, approver);
    await tx.$queryRaw`SELECT id FROM request_retarget WHERE id = ${retargetId} FOR UPDATE`;
    const pending = await tx.requestRetarget.findUnique({ where: { id: retargetId }, include: RETARGET_INCLUDE });
    if (!pending) refuse('RETARGET_UNKNOWN', `no re-target ${retargetId}`, { field: 'retargetId' });
    if (pending.status !== 'PENDING') refuse('RETARGET_STATE', `the re-target is ${pending.status.toLowerCase()}, not pending`, { field: 'retargetId' });
    // Not this officer: the re-target stays open for the right one.
    if (pending.requestedById === approver.id) refuse('DUAL_CONTROL_SAME_OFFICER', 'the officer who requested the re-target cannot approve it', { field: 'approver' });

    const failure = await retargetFailure(tx, ca, pending, policy);
    const now = ca.now();
    const decision = failure
      ? { status: 'FAILED' as const, failureCode: failure.code, failureReason: failure.message }
      : { status: 'APPROVED' as const };
    const settled = await tx.requestRetarget.update({
      where: { id: retargetId },
      data: { ...decision, approvedById: approver.id, decidedAt: now },
      include: RETARGET_INCLUDE,
    });
    if (!failure) await tx.certificateRequest.update({ where: { id: pending.requestId }, data: { rootKeyId: pending.toRootKeyId } });
    await auditRetarget(tx, ca, approver, failure ? 'retargetFailed' : 'retargeted', settled);
    return { view: retargetView(settled), failure };
  });
  if (!decided.ok) return decided;
  const { view, failure } = decided.value;
  return failure ? { ok: false, error: { ...failure, details: { ...failure.details, retargetId } } } : { ok: true, value: view };
}

/** The first reason the re-target cannot take effect now, or null. */
async function retargetFailure(tx: Tx, ca: CaServices, retarget: RetargetRow, policy?: RequestPolicy): Promise<TqError | null> {
  try {
    const request = await retargetableRequest(tx, ca, retarget.requestId);
    if (request.rootKeyId !== retarget.fromRootKeyId) {
      refuse('REQUEST_STATE', 'the request no longer waits on the root key the re-target names', { field: 'requestId' });
    }
    const target = await usableRootKey(tx, ca, retarget.toRootKey.index);
    const decoded = decodeStoredRequest(request.a1Record);
    await lockIssuer(tx, decoded.issuerId);
    return await checkBeforeIssuance({
      request: decoded,
      lookup: databaseRequestLookup(tx, { excludeRequestId: request.id, rootKeyId: target.id }),
      now: ca.now(),
      policy,
    });
  } catch (thrown) {
    if (thrown instanceof TqException) return thrown.error;
    throw thrown;
  }
}

/** The request, locked: APPROVED, its root key no longer usable, no number reserved for it. */
async function retargetableRequest(tx: Tx, ca: CaServices, requestId: number) {
  await tx.$queryRaw`SELECT id FROM certificate_request WHERE id = ${requestId} FOR UPDATE`;
  const request = await tx.certificateRequest.findUnique({ where: { id: requestId }, include: { rootKey: true } });
  if (!request) refuse('REQUEST_UNKNOWN', `no request ${requestId}`, { field: 'requestId' });
  if (request.state !== 'APPROVED') refuse('REQUEST_STATE', `the request is ${request.state.toLowerCase()}, not approved`, { field: 'requestId' });
  const root = request.rootKey!;
  if (rootKeyUsable(root.state, calendarDayOf(root.expiresOn), ca.now())) {
    refuse('RETARGET_NOT_NEEDED', `root key ${formatIndex(root.index)} is still active: issue the request under it`, { field: 'requestId' });
  }
  if ((await tx.certificateNumberAllocation.count({ where: { requestId, state: 'RESERVED' } })) > 0) {
    refuse('ISSUANCE_IN_PROGRESS', 'a certificate number is reserved for this request');
  }
  return request;
}

async function usableRootKey(tx: Tx, ca: CaServices, index: number) {
  const root = await tx.rootKey.findUnique({ where: { index } });
  if (!root || !rootKeyUsable(root.state, calendarDayOf(root.expiresOn), ca.now())) {
    refuse('ROOT_KEY_NOT_USABLE', `root key ${formatIndex(index)} is not active`, { field: 'rootKeyIndex' });
  }
  return root;
}

function auditRetarget(tx: Tx, ca: CaServices, actor: Operator, verb: string, r: RetargetRow) {
  return appendAuditEvent(tx, {
    actor,
    action: `certificateRequest.${verb}`,
    objectType: 'certificateRequest',
    objectId: String(r.requestId),
    details: {
      retargetId: r.id,
      fromRootKeyIndex: formatIndex(r.fromRootKey.index),
      toRootKeyIndex: formatIndex(r.toRootKey.index),
      reason: r.reason,
      requestedBy: r.requestedById,
      ...(r.failureCode ? { code: r.failureCode, failure: r.failureReason } : {}),
    },
    time: ca.now(),
  });
}
