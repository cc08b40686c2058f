/**
 * State against the log: replays the events that set the state of certificates, requests, root
 * keys and operators, and compares what they say with the tables as they stand. A row changed by
 * SQL behind the services (an un-revoke, a request moved to APPROVED, a root key re-activated, an
 * operator given another role) verifies as a chain but disagrees here.
 */
import type { CaServices } from './services';
import { checkRole, type Operator } from './context';
import { ok, type Result } from '../errors';
import { formatIndex } from './rootKeyRules';

export type ReconciledObject = 'certificate' | 'certificateRequest' | 'rootKey' | 'operator';

export interface Mismatch {
  readonly objectType: ReconciledObject;
  readonly objectId: string;
  /** what the log's events say, and what the table holds (null: no such row / no event) */
  readonly log: string | null;
  readonly table: string | null;
}

const BATCH = 5000;

/** Action → the state it leaves its object in (operators: see `operatorState`). */
const STATE_OF: Readonly<Record<string, readonly [ReconciledObject, string]>> = {
  'certificate.issued': ['certificate', 'ACTIVE'],
  'certificate.revoked': ['certificate', 'REVOKED'],
  'certificateRequest.submitted': ['certificateRequest', 'SUBMITTED'],
  'certificateRequest.approved': ['certificateRequest', 'APPROVED'],
  'certificateRequest.rejected': ['certificateRequest', 'REJECTED'],
  'certificateRequest.expired': ['certificateRequest', 'EXPIRED'],
  'rootKey.created': ['rootKey', 'PENDING'],
  'rootKey.activated': ['rootKey', 'ACTIVE'],
  'rootKey.retired': ['rootKey', 'RETIRED'],
  'rootKey.expired': ['rootKey', 'EXPIRED'],
};
const OPERATOR_ACTIONS = ['operator.create', 'operator.rolesChanged', 'operator.disable', 'operator.enable'];

/** An operator's state as one comparable string: status and roles. */
const operatorState = (status: string, roles: readonly string[]) => `${status} ${[...roles].sort().join(',')}`;

type Replayed = Record<ReconciledObject, Map<string, string>>;

async function replayLog(ca: CaServices): Promise<Replayed> {
  const replayed: Replayed = { certificate: new Map(), certificateRequest: new Map(), rootKey: new Map(), operator: new Map() };
  const operators = new Map<string, { status: string; roles: readonly string[] }>();
  for (let from = 0n; ; ) {
    const rows = await ca.prisma.auditEvent.findMany({
      where: { seq: { gt: from }, action: { in: [...Object.keys(STATE_OF), ...OPERATOR_ACTIONS] } },
      orderBy: { seq: 'asc' },
      take: BATCH,
      select: { seq: true, action: true, objectId: true, details: true },
    });
    for (const e of rows) {
      const details = (e.details ?? {}) as { requestId?: number; roles?: string[]; to?: string[] };
      const target = STATE_OF[e.action];
      if (target) replayed[target[0]].set(e.objectId, target[1]);
      // An issuance also closes its request.
      if (e.action === 'certificate.issued' && details.requestId !== undefined) replayed.certificateRequest.set(String(details.requestId), 'ISSUED');
      if (e.action === 'operator.create') operators.set(e.objectId, { status: 'ACTIVE', roles: details.roles ?? [] });
      const known = operators.get(e.objectId);
      if (known && e.action === 'operator.rolesChanged') operators.set(e.objectId, { ...known, roles: details.to ?? [] });
      if (known && e.action === 'operator.disable') operators.set(e.objectId, { ...known, status: 'DISABLED' });
      if (known && e.action === 'operator.enable') operators.set(e.objectId, { ...known, status: 'ACTIVE' });
    }
    if (rows.length < BATCH) break;
    from = rows[rows.length - 1].seq;
  }
  for (const [id, o] of operators) replayed.operator.set(id, operatorState(o.status, o.roles));
  return replayed;
}

/** Compares one table, read in key order in batches, with its replayed states. */
async function compare(
  objectType: ReconciledObject,
  logged: ReadonlyMap<string, string>,
  page: (after: bigint) => Promise<{ key: bigint; id: string; state: string }[]>,
  mismatches: Mismatch[],
): Promise<number> {
  const seen = new Set<string>();
  for (let after = -1n; ; ) {
    const rows = await page(after);
    for (const row of rows) {
      seen.add(row.id);
      const log = logged.get(row.id) ?? null;
      if (log !== row.state) mismatches.push({ objectType, objectId: row.id, log, table: row.state });
    }
    if (rows.length < BATCH) break;
    after = rows[rows.length - 1].key;
  }
  for (const [id, log] of logged) if (!seen.has(id)) mismatches.push({ objectType, objectId: id, log, table: null });
  return seen.size;
}

export interface Reconciliation {
  /** rows compared, per table */
  readonly checked: Readonly<Record<ReconciledObject, number>>;
  readonly mismatches: readonly Mismatch[];
}

export async function reconcileWithLog(ca: CaServices, actor: Operator): Promise<Result<Reconciliation>> {
  const allowed = checkRole(actor, ['AUDITOR', 'ADMIN'], 'reconcile the database with the log');
  if (!allowed.ok) return allowed;
  const replayed = await replayLog(ca);
  const mismatches: Mismatch[] = [];
  const take = BATCH;
  const checked = {
    certificate: await compare('certificate', replayed.certificate, async (after) =>
      (await ca.prisma.certificate.findMany({ where: { number: { gt: after } }, orderBy: { number: 'asc' }, take, select: { number: true, status: true } })).map((c) => ({ key: c.number, id: c.number.toString(), state: c.status })),
    mismatches),
    certificateRequest: await compare('certificateRequest', replayed.certificateRequest, async (after) =>
      (await ca.prisma.certificateRequest.findMany({ where: { id: { gt: Number(after) } }, orderBy: { id: 'asc' }, take, select: { id: true, state: true } })).map((r) => ({ key: BigInt(r.id), id: String(r.id), state: r.state })),
    mismatches),
    rootKey: await compare('rootKey', replayed.rootKey, async (after) =>
      (await ca.prisma.rootKey.findMany({ where: { index: { gt: Number(after) } }, orderBy: { index: 'asc' }, take, select: { index: true, state: true } })).map((k) => ({ key: BigInt(k.index), id: formatIndex(k.index), state: k.state })),
    mismatches),
    operator: await compare('operator', replayed.operator, async (after) =>
      (await ca.prisma.operator.findMany({ where: { id: { gt: Number(after) } }, orderBy: { id: 'asc' }, take, select: { id: true, status: true, roles: true } })).map((o) => ({ key: BigInt(o.id), id: String(o.id), state: operatorState(o.status, o.roles) })),
    mismatches),
  };
  return ok({ checked, mismatches });
}
