/**
 * The governance report: dual control checked from the audit log, not from the server's say-so.
 * It verifies the chain, then replays every event in order, keeping who held which role at each
 * point, and checks: separation of duties at every point; each dual-controlled action (root-key
 * ceremonies, certificate approvals, issuer withdrawals, operator changes) had two distinct
 * participants holding the right role at that time; operator changes after the seal were
 * approved by a second administrator; no ceremony started before the seal. Then it compares the
 * tables with what the log says (an approval written by SQL without its event, a role changed
 * behind the log's back). `replayGovernance` is a pure function of the events; an auditor can
 * run it over an exported chain.
 */
import { verifyStoredChain, type StoredEvent } from '../audit';
import { checkRole, type Operator, type ServiceContext } from './context';
import { rolesConflict } from './separationOfDuties';
import { SEALED_SET_MINIMUM } from './governance';
import type { Result } from '../errors';

export interface RoleChange {
  readonly seq: string;
  readonly at: string;
  readonly change: string;
  readonly by: string;
  /** After the seal: the administrator who asked (`by` approved). */
  readonly requestedBy?: string;
}

export interface OperatorHistory {
  readonly id: number;
  readonly username: string;
  readonly roles: readonly string[];
  readonly status: string;
  readonly createdBy: string;
  readonly requestedBy: string | null;
  readonly createdAt: string;
  readonly history: readonly RoleChange[];
}

export interface DualControlledAction {
  readonly seq: string;
  readonly at: string;
  readonly action: string;
  readonly object: string;
  /** Who asked (or reviewed) and who approved: two distinct operators. */
  readonly participants: readonly string[];
}

export interface Violation {
  readonly seq: string | null;
  readonly rule: string;
  readonly message: string;
  readonly operators: readonly string[];
}

export interface GovernanceReport {
  readonly events: number;
  readonly sealed: { readonly seq: string; readonly at: string; readonly by: string; readonly operators: readonly string[] } | null;
  readonly operators: readonly OperatorHistory[];
  readonly dualControl: readonly DualControlledAction[];
  readonly violations: readonly Violation[];
}

interface OperatorState {
  id: number;
  username: string;
  roles: string[];
  status: string;
  createdBy: string;
  requestedBy: string | null;
  createdAt: string;
  history: RoleChange[];
}

type Details = Record<string, unknown>;

/** Replays the events (ascending seq, chain already verified). */
export function replayGovernance(events: readonly StoredEvent[]): GovernanceReport {
  const operators = new Map<number, OperatorState>();
  const changeRequests = new Map<string, { requester: number; approver?: number; kind: string }>();
  const ceremonies = new Map<string, { requester: number; action: string }>();
  const rootKeyCreators = new Map<string, number>();
  const reviews = new Map<string, number>();
  const withdrawals = new Map<string, number>();
  const dualControl: DualControlledAction[] = [];
  const violations: Violation[] = [];
  let sealed: GovernanceReport['sealed'] = null;

  const name = (id: number | null | undefined) => (id == null ? 'system' : (operators.get(id)?.username ?? `#${id}`));
  const holds = (id: number | null | undefined, role: string) => id != null && operators.get(id)?.status === 'ACTIVE' && operators.get(id)!.roles.includes(role);

  for (const e of events) {
    const seq = e.seq.toString();
    const at = e.time.toISOString();
    const d = (e.details ?? {}) as Details;
    const flag = (rule: string, message: string, ids: readonly (number | null | undefined)[]) => violations.push({ seq, rule, message, operators: ids.map(name) });
    const requireRole = (id: number | null | undefined, role: string, what: string) => {
      if (!holds(id, role)) flag('ROLE_REQUIRED', `${what} by ${name(id)}, who did not hold ${role} then`, [id]);
    };
    const dual = (action: string, object: string, first: number | undefined, second: number | null, role: string) => {
      if (first === undefined) return flag('DUAL_CONTROL', `${action} ${object}: no first participant in the log`, [second]);
      if (first === second) flag('DUAL_CONTROL', `${action} ${object}: one operator took both parts`, [first]);
      requireRole(first, role, `${action} ${object} (first part)`);
      requireRole(second, role, `${action} ${object} (second part)`);
      dualControl.push({ seq, at, action, object, participants: [name(first), name(second)] });
    };
    /** After the seal an operator change carries its request, approved by this event's actor, asked by another administrator. */
    const governed = (what: string) => {
      if (!sealed) return undefined;
      const id = d.changeRequestId === undefined ? undefined : String(d.changeRequestId);
      const request = id === undefined ? undefined : changeRequests.get(id);
      if (!request || request.approver !== e.actorId) {
        flag('UNAPPROVED_OPERATOR_CHANGE', `${what} after the seal without a request approved by a second administrator`, [e.actorId]);
        return undefined;
      }
      return name(request.requester);
    };
    const checkSeparation = (id: number, roles: readonly string[]) => {
      const conflict = rolesConflict(roles);
      if (conflict) flag('SEPARATION_OF_DUTIES', `${name(id)} held ${roles.join('+')}: ${conflict}`, [id]);
    };
    const target = Number(e.objectId);

    switch (e.action) {
      case 'operator.create': {
        const roles = (d.roles as string[]) ?? [];
        const requestedBy = governed(`creating ${String(d.username)}`) ?? null;
        if (d.bootstrap !== true) requireRole(e.actorId, 'ADMIN', `creating ${String(d.username)}`);
        operators.set(target, { id: target, username: String(d.username), roles: [...roles], status: 'ACTIVE', createdBy: e.actor, requestedBy, createdAt: at, history: [{ seq, at, change: `created ${roles.join(',')}`, by: e.actor, ...(requestedBy ? { requestedBy } : {}) }] });
        checkSeparation(target, roles);
        break;
      }
      case 'operator.rolesChanged':
      case 'operator.enable':
      case 'operator.disable':
      case 'operator.secondFactorReset':
      case 'operator.passwordReset': {
        const o = operators.get(target);
        if (!o) {
          flag('UNKNOWN_OPERATOR', `${e.action} of operator ${e.objectId}, never created in the log`, [e.actorId]);
          break;
        }
        requireRole(e.actorId, 'ADMIN', `${e.action} of ${o.username}`);
        const requestedBy = e.action === 'operator.disable' ? undefined : governed(`${e.action} of ${o.username}`);
        let change = e.action === 'operator.passwordReset' ? 'password reset' : 'second factor reset';
        if (e.action === 'operator.rolesChanged') {
          o.roles = [...(d.to as string[])];
          change = `roles ${(d.from as string[]).join(',')} → ${o.roles.join(',')}`;
          checkSeparation(o.id, o.roles);
        } else if (e.action === 'operator.enable' || e.action === 'operator.disable') {
          o.status = e.action === 'operator.enable' ? 'ACTIVE' : 'DISABLED';
          change = o.status === 'ACTIVE' ? 'enabled' : 'disabled';
        }
        o.history.push({ seq, at, change, by: e.actor, ...(requestedBy ? { requestedBy } : {}) });
        break;
      }
      case 'operatorChange.requested':
        requireRole(e.actorId, 'ADMIN', `operator change request ${e.objectId}`);
        if (e.actorId != null) changeRequests.set(e.objectId, { requester: e.actorId, kind: String(d.kind) });
        break;
      case 'operatorChange.approved': {
        const request = changeRequests.get(e.objectId);
        dual('operatorChange', `${e.objectId} (${String(d.kind)} ${String(d.target)})`, request?.requester, e.actorId, 'ADMIN');
        if (request && e.actorId != null) request.approver = e.actorId;
        break;
      }
      case 'governance.sealed': {
        const active = [...operators.values()].filter((o) => o.status === 'ACTIVE');
        const count = (role: string) => active.filter((o) => o.roles.includes(role)).length;
        if (sealed) flag('SEAL', 'the operator set was sealed twice', [e.actorId]);
        requireRole(e.actorId, 'ADMIN', 'the seal');
        if (count('ADMIN') < SEALED_SET_MINIMUM.ADMIN || count('OFFICER') < SEALED_SET_MINIMUM.OFFICER) flag('SEAL', 'the sealed set lacks two administrators and two officers', [e.actorId]);
        const recorded = ((d.operators as { username: string }[]) ?? []).map((o) => o.username).sort();
        const replayed = active.map((o) => o.username).sort();
        if (recorded.join() !== replayed.join()) flag('SEAL', `the seal records ${recorded.join(',')}, the log shows ${replayed.join(',')}`, [e.actorId]);
        sealed = { seq, at, by: e.actor, operators: recorded };
        break;
      }
      case 'rootKeyCeremony.requested':
        if (!sealed) flag('CEREMONY_BEFORE_SEAL', `root-key ceremony ${e.objectId} requested before the seal`, [e.actorId]);
        requireRole(e.actorId, 'OFFICER', `requesting root-key ceremony ${e.objectId}`);
        if (e.actorId != null) ceremonies.set(e.objectId, { requester: e.actorId, action: String(d.action) });
        break;
      case 'rootKeyCeremony.approved':
        dual('rootKeyCeremony', `${e.objectId} (CREATE)`, ceremonies.get(e.objectId)?.requester, e.actorId, 'OFFICER');
        break;
      case 'rootKey.created': {
        const ceremony = ceremonies.get(String(d.ceremonyId));
        if (ceremony) rootKeyCreators.set(e.objectId, ceremony.requester);
        break;
      }
      case 'rootKey.announced':
      case 'rootKey.activated':
      case 'rootKey.retired': {
        const ceremonyId = String(d.ceremonyId);
        const action = { 'rootKey.announced': 'ANNOUNCE', 'rootKey.activated': 'ACTIVATE', 'rootKey.retired': 'RETIRE' }[e.action];
        dual('rootKeyCeremony', `${ceremonyId} (${action} ${e.objectId})`, ceremonies.get(ceremonyId)?.requester, e.actorId, 'OFFICER');
        if (e.action === 'rootKey.activated' && rootKeyCreators.get(e.objectId) === e.actorId) {
          flag('DUAL_CONTROL', `root key ${e.objectId} activated by the officer who created it`, [e.actorId]);
        }
        break;
      }
      case 'certificateRequest.reviewed':
        requireRole(e.actorId, 'OFFICER', `reviewing request ${e.objectId}`);
        if (e.actorId != null) reviews.set(e.objectId, e.actorId);
        break;
      case 'certificateRequest.approved':
        dual('certificateRequest', e.objectId, reviews.get(e.objectId), e.actorId, 'OFFICER');
        break;
      case 'institution.withdrawalRequested':
        if (e.actorId != null) withdrawals.set(e.objectId, e.actorId);
        break;
      case 'institution.withdrawalRejected':
        withdrawals.delete(e.objectId);
        break;
      case 'institution.status':
        if (d.to === 'WITHDRAWN' && d.kind === 'ISSUER') {
          const requester = withdrawals.get(e.objectId);
          if (requester === undefined) flag('DUAL_CONTROL', `issuer ${e.objectId} withdrawn without a recorded request`, [e.actorId]);
          else if (requester === e.actorId) flag('DUAL_CONTROL', `issuer ${e.objectId} withdrawn by the operator who asked`, [e.actorId]);
          else dualControl.push({ seq, at, action: 'institutionWithdrawal', object: e.objectId, participants: [name(requester), name(e.actorId)] });
          requireRole(e.actorId, 'OFFICER', `approving the withdrawal of issuer ${e.objectId}`);
        }
        break;
    }
  }
  const history = [...operators.values()].map((o) => ({ ...o, roles: [...o.roles] }));
  return { events: events.length, sealed, operators: history, dualControl, violations };
}

/** What the tables say, to hold against the replay. */
interface TableFacts {
  operators: { id: number; username: string; roles: string[]; status: string }[];
  changeApprovals: { id: number; decidedById: number | null }[];
  requestApprovals: { id: number; approvedById: number | null; reviewedById: number | null }[];
  ceremonyApprovals: { id: number; approvedById: number | null }[];
  sealed: boolean;
}

function compareTables(report: GovernanceReport, events: readonly StoredEvent[], tables: TableFacts): Violation[] {
  const out: Violation[] = [];
  const flag = (rule: string, message: string, operators: string[] = []) => out.push({ seq: null, rule, message, operators });
  const byObject = (action: string | string[], objectId: string, actorId: number | null, detailsCeremony = false) =>
    events.some(
      (e) =>
        (Array.isArray(action) ? action.includes(e.action) : e.action === action) &&
        e.actorId === actorId &&
        (detailsCeremony ? String((e.details as Details)?.ceremonyId) === objectId || (e.action === 'rootKeyCeremony.approved' && e.objectId === objectId) : e.objectId === objectId),
    );
  const replayed = new Map(report.operators.map((o) => [o.id, o]));
  const name = (id: number | null) => tables.operators.find((o) => o.id === id)?.username ?? `#${id}`;
  for (const o of tables.operators) {
    const r = replayed.get(o.id);
    if (!r) flag('TABLE_WITHOUT_EVENT', `operator ${o.username} exists, but the log never created it`, [o.username]);
    else if (r.status !== o.status || [...r.roles].sort().join() !== [...o.roles].sort().join()) {
      flag('TABLE_WITHOUT_EVENT', `operator ${o.username} is ${o.roles.join(',')} ${o.status} in the table, ${r.roles.join(',')} ${r.status} in the log`, [o.username]);
    }
  }
  for (const c of tables.changeApprovals) {
    if (!byObject('operatorChange.approved', String(c.id), c.decidedById)) flag('TABLE_WITHOUT_EVENT', `operator change ${c.id} is approved by ${name(c.decidedById)} in the table, not in the log`, [name(c.decidedById)]);
  }
  for (const r of tables.requestApprovals) {
    if (r.reviewedById !== null && !byObject('certificateRequest.reviewed', String(r.id), r.reviewedById)) flag('TABLE_WITHOUT_EVENT', `request ${r.id} is reviewed by ${name(r.reviewedById)} in the table, not in the log`, [name(r.reviewedById)]);
    if (r.approvedById !== null && !byObject('certificateRequest.approved', String(r.id), r.approvedById)) flag('TABLE_WITHOUT_EVENT', `request ${r.id} is approved by ${name(r.approvedById)} in the table, not in the log`, [name(r.approvedById)]);
  }
  for (const c of tables.ceremonyApprovals) {
    if (c.approvedById !== null && !byObject(['rootKeyCeremony.approved', 'rootKey.activated', 'rootKey.retired'], String(c.id), c.approvedById, true)) {
      flag('TABLE_WITHOUT_EVENT', `ceremony ${c.id} is approved by ${name(c.approvedById)} in the table, not in the log`, [name(c.approvedById)]);
    }
  }
  if (tables.sealed !== (report.sealed !== null)) flag('TABLE_WITHOUT_EVENT', tables.sealed ? 'the seal row exists without its event' : 'the log records a seal the table lacks');
  return out;
}

/** The report over the stored chain and tables (administrators and auditors). */
export async function governanceReport(ctx: ServiceContext, actor: Operator): Promise<Result<GovernanceReport>> {
  const allowed = checkRole(actor, ['ADMIN', 'AUDITOR'], 'read the governance report');
  if (!allowed.ok) return allowed;
  const chain = await verifyStoredChain(ctx.prisma);
  if (!chain.ok) {
    return { ok: true, value: { events: 0, sealed: null, operators: [], dualControl: [], violations: [{ seq: (chain.error.details?.seq as string) ?? null, rule: 'AUDIT_CHAIN_BROKEN', message: chain.error.message, operators: [] }] } };
  }
  // One read of what the chain verified (up to its head): governance events are a small share of all.
  const events = await ctx.prisma.auditEvent.findMany({ where: { seq: { lte: chain.value.lastSeq } }, orderBy: { seq: 'asc' } });
  const report = replayGovernance(events);
  const [operators, changeApprovals, requestApprovals, ceremonyApprovals, seal] = await Promise.all([
    ctx.prisma.operator.findMany({ select: { id: true, username: true, roles: true, status: true } }),
    ctx.prisma.operatorChangeRequest.findMany({ where: { state: 'APPROVED' }, select: { id: true, decidedById: true } }),
    ctx.prisma.certificateRequest.findMany({ where: { OR: [{ reviewedById: { not: null } }, { approvedById: { not: null } }] }, select: { id: true, approvedById: true, reviewedById: true } }),
    ctx.prisma.rootKeyCeremony.findMany({ where: { approvedById: { not: null } }, select: { id: true, approvedById: true } }),
    ctx.prisma.governanceSeal.count(),
  ]);
  const tables = { operators, changeApprovals, requestApprovals, ceremonyApprovals, sealed: seal > 0 };
  return { ok: true, value: { ...report, violations: [...report.violations, ...compareTables(report, events, tables)] } };
}
