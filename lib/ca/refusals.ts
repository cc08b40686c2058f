/**
 * Refused approvals are facts worth keeping: an operator who tries to approve what they asked for
 * themselves, or what their role does not allow, leaves an event. The refused transaction rolled
 * back, so the event is appended in a transaction of its own. Only refusals about who approves
 * are recorded (not "already approved" races), and only for a signed-in operator, who is named.
 */
import { appendAuditEvent } from '../audit';
import type { TqError } from '../errors';
import type { Operator, ServiceContext } from './context';
import { transact } from './transaction';

const WHO_MAY_APPROVE = new Set(['DUAL_CONTROL_SAME_OFFICER', 'DUAL_CONTROL_SAME_ADMINISTRATOR', 'OPERATOR_NOT_OFFICER', 'OPERATOR_FORBIDDEN']);

/** Records `error` as `<objectType>.approvalRefused` when it is about who may approve; answers the error. */
export async function refusedApproval(ctx: ServiceContext, approver: Operator, object: { readonly type: string; readonly id: string | number }, error: TqError): Promise<{ ok: false; error: TqError }> {
  if (!WHO_MAY_APPROVE.has(error.code)) return { ok: false, error };
  const recorded = await transact(ctx.prisma, (tx) =>
    appendAuditEvent(tx, {
      actor: approver,
      action: `${object.type}.approvalRefused`,
      objectType: object.type,
      objectId: String(object.id),
      details: { code: error.code, message: error.message },
      time: ctx.now(),
    }),
  );
  return recorded.ok ? { ok: false, error } : recorded;
}
