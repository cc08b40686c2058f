/**
 * Root-key ceremonies (TQ-CERT-1 §9) under dual control: one officer requests creating,
 * activating or retiring a root key; a different officer approves, which runs the ceremony's
 * checks (lib/ca/ceremonyChecks) before the HSM is touched and keeps their report with the
 * ceremony. Creation commits its approval before the HSM generates the key, so a crash leaves an
 * APPROVED ceremony that `recoverCeremonies` completes or fails, never an unrecorded key.
 */
import { equal, toHex } from '../bytes';
import { rootKeyRecord, type CalendarDay } from '../codec';
import { sm2 } from '../crypto/sm2';
import { Code, TqException, unwrap, type Result, type TqError } from '../errors';
import { appendAuditEvent, SYSTEM_ACTOR, type AuditActor } from '../audit';
import type { Prisma } from '../db/generated/client';
import { runCeremonyChecks, type CeremonyAction, type CeremonyCheckResult, type CeremonyFacts, type CreateParameters, type OfficerFacts } from './ceremonyChecks';
import type { Tx } from '../db/client';
import { calendarDayOf } from './requestLookup';
import { checkIndexForEnvironment, checkRootKeyExpiry, environmentOfIndex, formatIndex, formatRootKeyExpiry, MINIMUM_ANNOUNCE_LEAD_DAYS, parseRootKeyExpiry, type RootKeyEnvironment } from './rootKeyRules';
import { checkRole, type Operator } from './context';
import { requireSeal } from './governance';
import { requireActiveOperator } from './operators';
import { refusedApproval } from './refusals';
import type { CaServices } from './services';
import { announceChange } from './context';
import { refuse, refuseWith, transact } from './transaction';

/** Failures that mean "not this officer", not "this ceremony is wrong": the ceremony stays open. */
const AUTHORIZATION_CODES = new Set(['DUAL_CONTROL_SAME_OFFICER', 'OPERATOR_NOT_OFFICER']);

export interface CeremonyView {
  readonly id: number;
  readonly action: CeremonyAction;
  readonly status: string;
  readonly rootKeyIndex: string | null;
  readonly parameters: Prisma.JsonValue;
  readonly requestedBy: number;
  readonly requestedAt: string;
  readonly approvedBy: number | null;
  readonly checks: readonly CeremonyCheckResult[] | null;
  readonly failure: { readonly code: string; readonly reason: string | null } | null;
  /** A key the HSM generated before the ceremony failed: destroyed, or still to be removed. */
  readonly leftoverKey: Prisma.JsonValue;
}

export interface RootKeyView {
  readonly index: string;
  readonly environment: RootKeyEnvironment;
  readonly state: string;
  readonly expiry: string;
  readonly publicKey: string;
  readonly checkValue: string;
  readonly a2Record: string;
  readonly hsmKeyLabel: string;
  readonly createdBy: number;
  readonly createdAt: string;
  readonly announcedAt: string | null;
  readonly announcedBy: number | null;
  readonly activatedAt: string | null;
  readonly activatedBy: number | null;
  readonly retiredAt: string | null;
  readonly retiredBy: number | null;
}

type CeremonyRow = Prisma.RootKeyCeremonyGetPayload<{ include: { rootKey: { select: { index: true } } } }>;

function ceremonyView(c: CeremonyRow): CeremonyView {
  const parameters = c.parameters as { index?: number };
  const index = c.rootKey?.index ?? parameters.index;
  return {
    id: c.id,
    action: c.action,
    status: c.status,
    rootKeyIndex: index === undefined ? null : formatIndex(index),
    parameters: c.parameters,
    requestedBy: c.requestedById,
    requestedAt: c.requestedAt.toISOString(),
    approvedBy: c.approvedById,
    checks: c.preSigningChecks as CeremonyCheckResult[] | null,
    failure: c.failureCode === null ? null : { code: c.failureCode, reason: c.failureReason },
    leftoverKey: c.leftoverKey,
  };
}

export function rootKeyView(k: Prisma.RootKeyGetPayload<object>): RootKeyView {
  return {
    index: formatIndex(k.index),
    environment: unwrap(environmentOfIndex(k.index)),
    state: k.state,
    expiry: formatRootKeyExpiry(calendarDayOf(k.expiresOn)),
    publicKey: toHex(k.publicKey),
    checkValue: toHex(k.checkValue),
    a2Record: toHex(k.a2Record),
    hsmKeyLabel: k.hsmKeyLabel,
    createdBy: k.createdById,
    createdAt: k.createdAt.toISOString(),
    announcedAt: k.announcedAt?.toISOString() ?? null,
    announcedBy: k.announcedById,
    activatedAt: k.activatedAt?.toISOString() ?? null,
    activatedBy: k.activatedById,
    retiredAt: k.retiredAt?.toISOString() ?? null,
    retiredBy: k.retiredById,
  };
}

const CEREMONY_INCLUDE = { rootKey: { select: { index: true } } } as const;

export interface RootKeyProposal {
  readonly index: number;
  readonly environment: RootKeyEnvironment;
  /** Last valid day (CST). */
  readonly expiry: CalendarDay;
}

/** First officer: asks for a new root key. The quick rules run now; everything runs again at approval. */
export async function requestRootKeyCreation(ca: CaServices, actor: Operator, proposal: RootKeyProposal): Promise<Result<CeremonyView>> {
  const allowed = checkRole(actor, ['OFFICER'], 'request root-key ceremonies');
  if (!allowed.ok) return allowed;
  const index = checkIndexForEnvironment(proposal.index, proposal.environment);
  if (!index.ok) return index;
  const window = checkRootKeyExpiry(proposal.expiry, ca.now());
  if (!window.ok) return window;
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    await requireSeal(tx, 'root-key ceremonies start');
    const ceremony = await tx.rootKeyCeremony.create({
      data: {
        action: 'CREATE',
        parameters: { index: proposal.index, environment: proposal.environment, expiry: formatRootKeyExpiry(proposal.expiry) },
        requestedById: actor.id,
        requestedAt: ca.now(),
      },
      include: CEREMONY_INCLUDE,
    });
    await auditCeremony(tx, ca, actor, 'requested', ceremony, { action: 'CREATE', ...(ceremony.parameters as object) });
    return ceremonyView(ceremony);
  });
}

/**
 * First officer: asks to announce (PENDING → ANNOUNCED: listed in the bundles ahead of use),
 * activate (→ ACTIVE) or retire (→ RETIRED) a root key.
 */
export async function requestRootKeyChange(ca: CaServices, actor: Operator, action: RootKeyChange, index: number): Promise<Result<CeremonyView>> {
  const allowed = checkRole(actor, ['OFFICER'], 'request root-key ceremonies');
  if (!allowed.ok) return allowed;
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    await requireSeal(tx, 'root-key ceremonies start');
    const key = await tx.rootKey.findUnique({ where: { index } });
    if (!key) refuse('ROOT_KEY_UNKNOWN', `no root key has index ${formatIndex(index)}`, { field: 'index' });
    const open = await tx.rootKeyCeremony.count({ where: { rootKeyId: key.id, status: { in: ['PENDING', 'APPROVED'] } } });
    if (open > 0) refuse('CEREMONY_OPEN', 'another ceremony for this root key awaits approval', { field: 'index' });
    const ceremony = await tx.rootKeyCeremony.create({
      data: { action, rootKeyId: key.id, parameters: { index }, requestedById: actor.id, requestedAt: ca.now() },
      include: CEREMONY_INCLUDE,
    });
    await auditCeremony(tx, ca, actor, 'requested', ceremony, { action, index: formatIndex(index) });
    return ceremonyView(ceremony);
  });
}

/**
 * Second officer: approves a ceremony. Every check runs; when one fails for a reason other than
 * who is approving, the ceremony ends FAILED with the full report. Otherwise ACTIVATE and RETIRE
 * complete in the same transaction, and CREATE proceeds to the HSM.
 */
export async function approveCeremony(ca: CaServices, approver: Operator, ceremonyId: number): Promise<Result<CeremonyView>> {
  const decided = await transact(ca.prisma, async (tx) => {
    await tx.$queryRaw`SELECT id FROM root_key_ceremony WHERE id = ${ceremonyId} FOR UPDATE`;
    const ceremony = await tx.rootKeyCeremony.findUnique({ where: { id: ceremonyId }, include: { rootKey: true } });
    if (!ceremony) refuse('CEREMONY_UNKNOWN', `no ceremony ${ceremonyId}`, { field: 'ceremonyId' });
    if (ceremony.status !== 'PENDING') refuse('CEREMONY_STATE', `the ceremony is ${ceremony.status.toLowerCase()}, not pending`, { field: 'ceremonyId' });

    const create = ceremony.action === 'CREATE' ? createParameters(ceremony) : undefined;
    const report = await runCeremonyChecks(await ceremonyFacts(tx, ca, ceremony, approver, create));
    const now = ca.now();
    if (report.failure && AUTHORIZATION_CODES.has(report.failure.code)) refuseWith(report.failure);
    const checks = report.results as unknown as Prisma.InputJsonValue;

    if (report.failure) {
      const failed = await tx.rootKeyCeremony.update({
        where: { id: ceremonyId },
        data: { status: 'FAILED', preSigningChecks: checks, failureCode: report.failure.code, failureReason: report.failure.message, executedAt: now },
        include: CEREMONY_INCLUDE,
      });
      await auditCeremony(tx, ca, approver, 'failed', failed, { checks: report.results, failure: report.failure.code });
      return { view: ceremonyView(failed), failure: report.failure, create };
    }

    const approval = { approvedById: approver.id, approvedAt: now, preSigningChecks: checks };
    if (ceremony.action === 'CREATE') {
      const approved = await tx.rootKeyCeremony.update({ where: { id: ceremonyId }, data: { status: 'APPROVED', ...approval }, include: CEREMONY_INCLUDE });
      await auditCeremony(tx, ca, approver, 'approved', approved, { checks: report.results });
      return { view: ceremonyView(approved), failure: null, create };
    }

    const key = ceremony.rootKey!;
    const { change, verb } = CHANGES[ceremony.action as RootKeyChange](now, approver.id);
    await tx.rootKey.update({ where: { id: key.id }, data: change });
    const executed = await tx.rootKeyCeremony.update({
      where: { id: ceremonyId },
      data: { status: 'EXECUTED', executedAt: now, ...approval },
      include: CEREMONY_INCLUDE,
    });
    await auditRootKey(tx, ca, approver, verb, key.index, { ceremonyId, checks: report.results });
    return { view: ceremonyView(executed), failure: null, create };
  });
  if (!decided.ok) return refusedApproval(ca, approver, { type: 'rootKeyCeremony', id: ceremonyId }, decided.error);
  const { view, failure, create } = decided.value;
  if (failure) return { ok: false, error: { ...failure, details: { ...failure.details, ceremonyId } } };
  if (create && view.status === 'APPROVED') return generateRootKey(ca, approver, ceremonyId, create);
  await announceChange(ca, 'rootKey');
  return { ok: true, value: view };
}

/** Withdraws a ceremony that awaits approval (any officer; it is recorded who). */
export async function cancelCeremony(ca: CaServices, actor: Operator, ceremonyId: number): Promise<Result<CeremonyView>> {
  const allowed = checkRole(actor, ['OFFICER'], 'cancel root-key ceremonies');
  if (!allowed.ok) return allowed;
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    await tx.$queryRaw`SELECT id FROM root_key_ceremony WHERE id = ${ceremonyId} FOR UPDATE`;
    const ceremony = await tx.rootKeyCeremony.findUnique({ where: { id: ceremonyId } });
    if (!ceremony) refuse('CEREMONY_UNKNOWN', `no ceremony ${ceremonyId}`, { field: 'ceremonyId' });
    if (ceremony.status !== 'PENDING') refuse('CEREMONY_STATE', `the ceremony is ${ceremony.status.toLowerCase()}, not pending`, { field: 'ceremonyId' });
    const cancelled = await tx.rootKeyCeremony.update({
      where: { id: ceremonyId },
      data: { status: 'CANCELLED', cancelledById: actor.id, cancelledAt: ca.now() },
      include: CEREMONY_INCLUDE,
    });
    await auditCeremony(tx, ca, actor, 'cancelled', cancelled, { action: ceremony.action });
    return ceremonyView(cancelled);
  });
}

export type RootKeyChange = 'ANNOUNCE' | 'ACTIVATE' | 'RETIRE';

/** What an approved change writes on the key, and the verb of its audit event. */
const CHANGES: Readonly<Record<RootKeyChange, (now: Date, by: number) => { change: Prisma.RootKeyUpdateInput; verb: string }>> = {
  ANNOUNCE: (now, by) => ({ change: { state: 'ANNOUNCED', announcedAt: now, announcedBy: { connect: { id: by } } }, verb: 'announced' }),
  ACTIVATE: (now, by) => ({ change: { state: 'ACTIVE', activatedAt: now, activatedBy: { connect: { id: by } } }, verb: 'activated' }),
  RETIRE: (now, by) => ({ change: { state: 'RETIRED', retiredAt: now, retiredBy: { connect: { id: by } } }, verb: 'retired' }),
};

function createParameters(ceremony: { id: number; parameters: Prisma.JsonValue }): CreateParameters {
  const p = ceremony.parameters as { index: number; environment: RootKeyEnvironment; expiry: string };
  const expiry = parseRootKeyExpiry(p.expiry);
  if (!expiry.ok) throw new TqException(expiry.error);
  return { index: p.index, environment: p.environment, expiry: expiry.value, keyLabel: `tqca-root-${formatIndex(p.index)}-c${ceremony.id}` };
}

async function ceremonyFacts(
  tx: Tx,
  ca: CaServices,
  ceremony: Prisma.RootKeyCeremonyGetPayload<{ include: { rootKey: true } }>,
  approver: Operator,
  create: CreateParameters | undefined,
): Promise<CeremonyFacts> {
  const officer = async (id: number): Promise<OfficerFacts> => {
    const o = await tx.operator.findUniqueOrThrow({ where: { id }, select: { id: true, roles: true, status: true } });
    return { id: o.id, roles: o.roles, status: o.status };
  };
  const key = ceremony.rootKey;
  const othersActive = await tx.rootKey.count({ where: { state: 'ACTIVE', ...(key ? { id: { not: key.id } } : {}) } });
  return {
    action: ceremony.action,
    anotherKeyActive: othersActive > 0,
    announceLeadDays: ca.rootKeyAnnounceLeadDays ?? MINIMUM_ANNOUNCE_LEAD_DAYS,
    requester: await officer(ceremony.requestedById),
    approver: await officer(approver.id),
    now: ca.now(),
    create,
    rootKey: key
      ? { state: key.state, expiry: calendarDayOf(key.expiresOn), createdById: key.createdById, keyLabel: key.hsmKeyLabel, publicKey: key.publicKey, announcedAt: key.announcedAt }
      : undefined,
    async indexClaimed(index) {
      if ((await tx.rootKey.count({ where: { index } })) > 0) return true;
      const others = await tx.rootKeyCeremony.findMany({
        where: { action: 'CREATE', status: { in: ['PENDING', 'APPROVED'] }, id: { not: ceremony.id } },
        select: { parameters: true },
      });
      return others.some((c) => (c.parameters as { index?: number }).index === index);
    },
    async hsmHealth() {
      const health = await ca.keys.health();
      return health.ok ? null : health.error;
    },
    async hsmPublicKey(label) {
      const found = await ca.keys.findKey({ label });
      if (found.ok) return found.value.publicKey;
      if (found.error.code === Code.HSM_KEY_NOT_FOUND) return null;
      throw new TqException(found.error);
    },
  };
}

/** Probe signed by a new key before it is recorded: the key exists, signs, and verifies on the host. */
const PROBE = new TextEncoder().encode('tqca root-key ceremony probe');

async function generateRootKey(ca: CaServices, approver: Operator, ceremonyId: number, p: CreateParameters): Promise<Result<CeremonyView>> {
  const generated = await ca.keys.generateKey({ label: p.keyLabel, algorithm: 'sm2' });
  if (!generated.ok) return failCeremony(ca, approver, ceremonyId, generated.error);
  return proveAndRecord(ca, approver, ceremonyId, p, generated.value);
}

/** A key the HSM holds for a ceremony: its label, CKA_ID and public key X‖Y. */
interface CeremonyKey {
  readonly label: string;
  readonly id: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** After generation (or found by recovery): the key is proven and recorded, or it does not outlive the ceremony. */
async function proveAndRecord(ca: CaServices, actor: AuditActor, ceremonyId: number, p: CreateParameters, key: CeremonyKey): Promise<Result<CeremonyView>> {
  const proven = await proveKey(ca, key);
  if (!proven.ok) return discardKey(ca, actor, ceremonyId, key, proven.error);
  const recorded = await recordRootKey(ca, actor, ceremonyId, p, key);
  return recorded.ok ? recorded : discardKey(ca, actor, ceremonyId, key, recorded.error);
}

async function proveKey(ca: CaServices, key: CeremonyKey): Promise<Result<void>> {
  const signature = await ca.keys.sign({ id: key.id }, PROBE);
  if (!signature.ok) return signature;
  const pub = sm2.publicKeyFromBytes(key.publicKey);
  if (!pub.ok) return pub;
  if (!sm2.verify(PROBE, signature.value, pub.value)) {
    return { ok: false, error: { code: Code.HSM_SIGNATURE_INVALID, message: 'the new key’s probe signature does not verify' } };
  }
  return { ok: true, value: undefined };
}

async function recordRootKey(ca: CaServices, approver: AuditActor, ceremonyId: number, p: CreateParameters, key: CeremonyKey): Promise<Result<CeremonyView>> {
  return transact(ca.prisma, async (tx) => {
    const ceremony = await lockCeremony(tx, ceremonyId);
    if (ceremony.status !== 'APPROVED') refuse('CEREMONY_STATE', `the ceremony is ${ceremony.status.toLowerCase()}, not approved`);
    const a2 = rootKeyRecord.encode({ clearingCenterId: ca.centerId, rootKeyIndex: p.index, publicKey: unwrap(sm2.publicKeyFromBytes(key.publicKey)), expiry: p.expiry });
    const root = await tx.rootKey.create({
      data: {
        index: p.index,
        hsmKeyLabel: p.keyLabel,
        hsmKeyId: key.id as Uint8Array<ArrayBuffer>,
        publicKey: key.publicKey as Uint8Array<ArrayBuffer>,
        expiresOn: expiresOnColumn(p.expiry),
        state: 'PENDING',
        a2Record: a2 as Uint8Array<ArrayBuffer>,
        checkValue: a2.subarray(77, 109) as Uint8Array<ArrayBuffer>,
        createdById: ceremony.requestedById,
        createdAt: ca.now(),
      },
    });
    const executed = await tx.rootKeyCeremony.update({
      where: { id: ceremonyId },
      data: { status: 'EXECUTED', executedAt: ca.now(), rootKeyId: root.id },
      include: CEREMONY_INCLUDE,
    });
    await auditRootKey(tx, ca, approver, 'created', p.index, {
      ceremonyId,
      publicKey: toHex(key.publicKey),
      checkValue: toHex(root.checkValue),
      expiry: formatRootKeyExpiry(p.expiry),
    });
    return ceremonyView(executed);
  });
}

async function lockCeremony(tx: Tx, ceremonyId: number) {
  await tx.$queryRaw`SELECT id FROM root_key_ceremony WHERE id = ${ceremonyId} FOR UPDATE`;
  return tx.rootKeyCeremony.findUniqueOrThrow({ where: { id: ceremonyId }, include: { rootKey: { select: { publicKey: true } } } });
}

/** Closes an APPROVED ceremony as FAILED; one that someone else settled meanwhile is left as it is. */
async function failCeremony(ca: CaServices, actor: AuditActor, ceremonyId: number, error: TqError, leftover?: Prisma.InputJsonObject): Promise<Result<CeremonyView>> {
  const failed = await transact(ca.prisma, async (tx) => {
    const ceremony = await lockCeremony(tx, ceremonyId);
    if (ceremony.status !== 'APPROVED' && !(leftover && ceremony.status === 'FAILED')) return;
    const failure = ceremony.status === 'APPROVED' ? { status: 'FAILED' as const, failureCode: error.code, failureReason: error.message, executedAt: ca.now() } : {};
    const c = await tx.rootKeyCeremony.update({ where: { id: ceremonyId }, data: { ...failure, ...(leftover ? { leftoverKey: leftover } : {}) }, include: CEREMONY_INCLUDE });
    if (ceremony.status === 'APPROVED') await auditCeremony(tx, ca, actor, 'failed', c, { failure: error.code, reason: error.message });
    if (leftover) await auditCeremony(tx, ca, actor, leftover.destroyed ? 'keyDestroyed' : 'keyLeftInHsm', c, { failure: error.code, ...leftover });
  });
  if (!failed.ok) return failed;
  return { ok: false, error: { ...error, details: { ...error.details, ceremonyId } } };
}

/**
 * A ceremony that failed after the HSM generated its key: the key is destroyed in the HSM, so no
 * unrecorded root key outlives the ceremony; if destroying fails, the key (label, CKA_ID, public
 * key) is recorded with the failure for an officer to remove. Either way it is audited. A key
 * that another process recorded meanwhile (recovery) is kept.
 */
async function discardKey(ca: CaServices, actor: AuditActor, ceremonyId: number, key: CeremonyKey, error: TqError): Promise<Result<CeremonyView>> {
  const current = await ca.prisma.rootKeyCeremony.findUniqueOrThrow({ where: { id: ceremonyId }, include: { rootKey: { select: { publicKey: true } } } });
  if (current.rootKey && equal(current.rootKey.publicKey, key.publicKey)) return { ok: false, error: { ...error, details: { ...error.details, ceremonyId } } };
  const destroyed = await ca.keys.destroyKey({ id: key.id });
  const leftover = {
    label: key.label,
    id: toHex(key.id),
    publicKey: toHex(key.publicKey),
    destroyed: destroyed.ok,
    ...(destroyed.ok ? {} : { destroyFailure: { code: destroyed.error.code, message: destroyed.error.message } }),
  };
  return failCeremony(ca, actor, ceremonyId, error, leftover);
}

/** The `@db.Date` column value for a calendar day (UTC midnight of that date). */
const expiresOnColumn = ({ year, month, day }: CalendarDay) => new Date(Date.UTC(year, month - 1, day));

/**
 * Start-up recovery: a CREATE ceremony approved before `before` and still APPROVED was cut off by
 * a crash. Its key is either in the HSM (record it, after the same probe) or not (fail the
 * ceremony). Either way the ceremony closes — unless the HSM cannot be asked, which is an error.
 */
export async function recoverCeremonies(ca: CaServices, before: Date): Promise<Result<readonly CeremonyView[]>> {
  const stuck = await ca.prisma.rootKeyCeremony.findMany({ where: { action: 'CREATE', status: 'APPROVED', approvedAt: { lt: before } } });
  const out: CeremonyView[] = [];
  for (const c of stuck) {
    const p = createParameters(c);
    const found = await ca.keys.findKey({ label: p.keyLabel });
    // An HSM that cannot answer says nothing about the key: the ceremony stays APPROVED for the next start.
    // Locked signing (the quorum profile, before K officers activate) is no fault: the process starts.
    if (!found.ok && found.error.code === Code.HSM_LOCKED) continue;
    if (!found.ok && found.error.code !== Code.HSM_KEY_NOT_FOUND) return found;
    await (found.ok
      ? proveAndRecord(ca, SYSTEM_ACTOR, c.id, p, found.value)
      : failCeremony(ca, SYSTEM_ACTOR, c.id, { code: 'CEREMONY_INTERRUPTED', message: 'the process stopped before the HSM generated the key' }));
    out.push(ceremonyView(await ca.prisma.rootKeyCeremony.findUniqueOrThrow({ where: { id: c.id }, include: CEREMONY_INCLUDE })));
  }
  return { ok: true, value: out };
}

export async function listRootKeys(ca: CaServices): Promise<RootKeyView[]> {
  const keys = await ca.prisma.rootKey.findMany({ orderBy: { index: 'asc' } });
  return keys.map(rootKeyView);
}

export async function listCeremonies(ca: CaServices, filter: { status?: 'PENDING' | 'APPROVED' | 'EXECUTED' | 'FAILED' | 'CANCELLED' } = {}): Promise<CeremonyView[]> {
  const rows = await ca.prisma.rootKeyCeremony.findMany({ where: filter.status ? { status: filter.status } : {}, orderBy: { id: 'asc' }, include: CEREMONY_INCLUDE });
  return rows.map(ceremonyView);
}

function auditCeremony(tx: Tx, ca: CaServices, actor: AuditActor, verb: string, ceremony: { id: number }, details: Record<string, unknown>) {
  return appendAuditEvent(tx, { actor, action: `rootKeyCeremony.${verb}`, objectType: 'rootKeyCeremony', objectId: String(ceremony.id), details, time: ca.now() });
}

function auditRootKey(tx: Tx, ca: CaServices, actor: AuditActor, verb: string, index: number, details: Record<string, unknown>) {
  return appendAuditEvent(tx, { actor, action: `rootKey.${verb}`, objectType: 'rootKey', objectId: formatIndex(index), details, time: ca.now() });
}

