/**
 * Institutions: issuers, acquirers and issuing platforms. The center allocates each a 4-byte code,
 * unique per kind; an issuer's code is its issuer id (QR field 7, records A1 and A3). Status:
 * ACTIVE ⇄ SUSPENDED, either → WITHDRAWN (final). Withdrawing an issuer revokes its certificates,
 * so it is dual-controlled: one operator asks, an officer other than them approves. Every change
 * is audited in its transaction.
 */
import { bytesToUint, toHex, uintToBytes } from '../bytes';
import { appendAuditEvent } from '../audit';
import type { Tx } from '../db/client';
import { nextCounterValue } from '../db/counters';
import { InstitutionKind, InstitutionStatus, type Prisma } from '../db/generated/client';
import { err, ok, TqException, type Result, type TqError } from '../errors';
import { announceChange, checkRole, requireRole, type Operator, type ServiceContext } from './context';
import { revokeInTransaction } from './certificates';
import { requireActiveOperator } from './operators';
import { refusedApproval } from './refusals';
import { MAX_NAME_LENGTH, MAX_REASON_LENGTH, singleLineText } from './text';
import { refuse, transact } from './transaction';

export { InstitutionKind, InstitutionStatus };

export interface Contact {
  readonly name: string;
  readonly role?: string;
  readonly email?: string;
  readonly phone?: string;
}

export interface InstitutionView {
  readonly id: number;
  readonly kind: InstitutionKind;
  /** 4 bytes; for an issuer, its issuer id */
  readonly code: Uint8Array;
  readonly nameZh: string;
  readonly nameEn: string | null;
  readonly status: InstitutionStatus;
  readonly contacts: readonly Contact[];
  /** An issuer's withdrawal awaiting an officer's approval. */
  readonly pendingWithdrawal: { readonly requestedBy: number; readonly requestedAt: Date; readonly reason: string } | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewInstitution {
  readonly kind: InstitutionKind;
  /** Omitted: the center allocates the next free code of this kind. */
  readonly code?: Uint8Array;
  readonly nameZh: string;
  readonly nameEn?: string;
  readonly contacts?: readonly Contact[];
}

export type InstitutionRef = { readonly id: number } | { readonly kind: InstitutionKind; readonly code: Uint8Array };

const MAX_CODE = 0xfffffffe;
const CONTACT_FIELDS = ['name', 'role', 'email', 'phone'] as const;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const PHONE = /^\+?[0-9][0-9 ()-]{2,31}$/;

const NEXT_STATUSES: Readonly<Record<InstitutionStatus, readonly InstitutionStatus[]>> = {
  ACTIVE: ['SUSPENDED', 'WITHDRAWN'],
  SUSPENDED: ['ACTIVE', 'WITHDRAWN'],
  WITHDRAWN: [],
};

/** Parses contacts from untrusted JSON (CLI, HTTP): an array of { name, role?, email?, phone? }. */
export function parseContacts(value: unknown): Result<Contact[]> {
  if (!Array.isArray(value)) return err('CONTACTS_INVALID', 'contacts must be a JSON array', { field: 'contacts' });
  const contacts: Contact[] = [];
  for (const [i, item] of value.entries()) {
    const field = `contacts[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return err('CONTACTS_INVALID', `${field} is not an object`, { field });
    const extra = Object.keys(item).filter((k) => !(CONTACT_FIELDS as readonly string[]).includes(k));
    if (extra.length > 0) return err('CONTACTS_INVALID', `${field}: unknown member ${extra.join(', ')}`, { field });
    const c = item as Record<string, unknown>;
    const contact: Record<string, string> = {};
    for (const k of CONTACT_FIELDS) {
      if (c[k] === undefined) continue;
      if (typeof c[k] !== 'string') return err('CONTACTS_INVALID', `${field}.${k} must be a string`, { field: `${field}.${k}` });
      const text = singleLineText(c[k], `${field}.${k}`, 'CONTACTS_INVALID', MAX_NAME_LENGTH);
      if (!text.ok) return text;
      contact[k] = text.value;
    }
    if (contact.name === undefined) return err('CONTACTS_INVALID', `${field}.name is required`, { field: `${field}.name` });
    if (contact.email !== undefined && !EMAIL.test(contact.email)) return err('CONTACTS_INVALID', `${field}.email is not an e-mail address`, { field: `${field}.email` });
    if (contact.phone !== undefined && !PHONE.test(contact.phone)) return err('CONTACTS_INVALID', `${field}.phone is not a phone number`, { field: `${field}.phone` });
    contacts.push(contact as unknown as Contact);
  }
  return ok(contacts);
}

const institutionName = (name: string, field: 'nameZh' | 'nameEn') => singleLineText(name, field, 'INSTITUTION_INVALID', MAX_NAME_LENGTH);

function checkCode(code: Uint8Array): Result<Uint8Array> {
  if (code.length !== 4) return err('INSTITUTION_CODE_INVALID', `an institution code is 4 bytes, got ${code.length}`, { field: 'code' });
  const value = bytesToUint(code);
  if (value === 0 || value > MAX_CODE) return err('INSTITUTION_CODE_INVALID', 'institution codes 00000000 and FFFFFFFF are reserved', { field: 'code' });
  return ok(code);
}

const bytes = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

/** A code taken by a concurrent writer between the check and the insert. */
const UNIQUE_ERRORS: Readonly<Record<string, TqError>> = {
  institution_kind_code_key: { code: 'INSTITUTION_CODE_TAKEN', message: 'an institution of this kind already has this code', field: 'code' },
};

const step = <T>(ctx: ServiceContext, work: (tx: Tx) => Promise<T>) => transact(ctx.prisma, work, UNIQUE_ERRORS);

async function allocateCode(tx: Tx, kind: InstitutionKind): Promise<Uint8Array> {
  // Codes given explicitly (existing issuer ids) may lie ahead of the counter: skip them.
  for (;;) {
    const value = await nextCounterValue(tx, `institution_code.${kind}`);
    if (value > BigInt(MAX_CODE)) refuse('INSTITUTION_CODES_EXHAUSTED', `no ${kind} code left`, { field: 'code' });
    const code = uintToBytes(Number(value), 4);
    if (!(await tx.institution.findUnique({ where: { kind_code: { kind, code: bytes(code) } }, select: { id: true } }))) return code;
  }
}

export async function createInstitution(ctx: ServiceContext, actor: Operator, input: NewInstitution): Promise<Result<InstitutionView>> {
  if (!Object.hasOwn(InstitutionKind, input.kind)) return err('INSTITUTION_INVALID', `unknown kind ${input.kind}`, { field: 'kind' });
  const nameZh = institutionName(input.nameZh, 'nameZh');
  if (!nameZh.ok) return nameZh;
  const nameEn = input.nameEn === undefined || input.nameEn.trim() === '' ? ok(null) : institutionName(input.nameEn, 'nameEn');
  if (!nameEn.ok) return nameEn;
  const contacts = parseContacts(input.contacts ?? []);
  if (!contacts.ok) return contacts;
  const given = input.code === undefined ? undefined : checkCode(input.code);
  if (given && !given.ok) return given;

  return step(ctx, async (tx) => {
    requireRole(actor, ['OFFICER', 'ADMIN'], 'create institutions');
    await requireActiveOperator(tx, actor);
    let code: Uint8Array;
    if (given) {
      code = given.value;
      if (await tx.institution.findUnique({ where: { kind_code: { kind: input.kind, code: bytes(code) } }, select: { id: true } })) {
        refuse('INSTITUTION_CODE_TAKEN', `${input.kind} ${toHex(code)} exists`, { field: 'code' });
      }
    } else {
      code = await allocateCode(tx, input.kind);
    }
    const created = await tx.institution.create({
      data: {
        kind: input.kind,
        code: bytes(code),
        nameZh: nameZh.value,
        nameEn: nameEn.value,
        contacts: contacts.value as unknown as Prisma.InputJsonArray,
        createdAt: ctx.now(),
        updatedAt: ctx.now(),
      },
    });
    await appendAuditEvent(tx, {
      actor,
      action: 'institution.create',
      objectType: 'institution',
      objectId: String(created.id),
      details: { kind: created.kind, code: created.code, codeAllocated: !given, nameZh: created.nameZh, nameEn: created.nameEn, contacts: contacts.value },
      time: ctx.now(),
    });
    return view(created);
  });
}

export interface InstitutionChanges {
  readonly nameZh?: string;
  /** null removes the English name */
  readonly nameEn?: string | null;
  readonly contacts?: readonly Contact[];
}

/** Changes names or contacts (not kind or code: those are bound into certificates and records). */
export async function updateInstitution(ctx: ServiceContext, actor: Operator, ref: InstitutionRef, changes: InstitutionChanges): Promise<Result<InstitutionView>> {
  const contacts = changes.contacts === undefined ? undefined : parseContacts(changes.contacts);
  if (contacts && !contacts.ok) return contacts;
  const nameZh = changes.nameZh === undefined ? undefined : institutionName(changes.nameZh, 'nameZh');
  if (nameZh && !nameZh.ok) return nameZh;
  // null or "" removes the English name.
  const nameEn = changes.nameEn === undefined ? undefined : changes.nameEn === null || changes.nameEn.trim() === '' ? ok(null) : institutionName(changes.nameEn, 'nameEn');
  if (nameEn && !nameEn.ok) return nameEn;
  return step(ctx, async (tx) => {
    requireRole(actor, ['OFFICER', 'ADMIN'], 'change institutions');
    await requireActiveOperator(tx, actor);
    const current = await lockInstitution(tx, ref);
    if (current.status === 'WITHDRAWN') refuse('INSTITUTION_WITHDRAWN', 'a withdrawn institution is not changed', { field: 'status' });
    const data = {
      ...(nameZh === undefined ? {} : { nameZh: nameZh.value }),
      ...(nameEn === undefined ? {} : { nameEn: nameEn.value }),
      ...(contacts === undefined ? {} : { contacts: contacts.value as unknown as Prisma.InputJsonArray }),
    };
    if (Object.keys(data).length === 0) refuse('INSTITUTION_INVALID', 'nothing to change');
    const updated = await tx.institution.update({ where: { id: current.id }, data: { ...data, updatedAt: ctx.now() } });
    await appendAuditEvent(tx, {
      actor,
      action: 'institution.update',
      objectType: 'institution',
      objectId: String(updated.id),
      details: { before: pick(current, data), after: pick(updated, data) },
      time: ctx.now(),
    });
    return view(updated);
  });
}

/**
 * Changes an institution's status. Withdrawing an issuer only asks for it (`institution.withdrawalRequested`):
 * approveWithdrawal by an officer other than the asker withdraws it and revokes its certificates.
 */
export async function setInstitutionStatus(ctx: ServiceContext, actor: Operator, ref: InstitutionRef, status: InstitutionStatus, reason: string): Promise<Result<InstitutionView>> {
  const checkedReason = singleLineText(reason, 'reason', 'INSTITUTION_INVALID', MAX_REASON_LENGTH);
  if (!checkedReason.ok) return checkedReason;
  return step(ctx, async (tx) => {
    requireRole(actor, ['OFFICER', 'ADMIN'], 'change institution status');
    await requireActiveOperator(tx, actor);
    const current = await lockInstitution(tx, ref);
    if (!NEXT_STATUSES[current.status].includes(status)) {
      refuse('INSTITUTION_STATUS_TRANSITION', `${current.status} → ${status} is not allowed`, { field: 'status', details: { from: current.status, to: status } });
    }
    if (status === 'WITHDRAWN' && current.kind === 'ISSUER') {
      if (current.withdrawalRequestedById !== null) refuse('INSTITUTION_WITHDRAWAL_PENDING', 'a withdrawal of this issuer awaits approval', { field: 'status' });
      const asked = await tx.institution.update({
        where: { id: current.id },
        data: { withdrawalRequestedById: actor.id, withdrawalRequestedAt: ctx.now(), withdrawalReason: checkedReason.value, updatedAt: ctx.now() },
      });
      await auditInstitution(tx, ctx, actor, 'withdrawalRequested', asked, { reason: checkedReason.value });
      return view(asked);
    }
    const updated = await tx.institution.update({ where: { id: current.id }, data: { status, updatedAt: ctx.now() } });
    await auditInstitution(tx, ctx, actor, 'status', updated, { from: current.status, to: status, reason: checkedReason.value });
    return view(updated);
  });
}

/** An officer other than the asker approves an issuer's withdrawal: WITHDRAWN, and its live certificates revoked (reason 03). */
export async function approveWithdrawal(ctx: ServiceContext, approver: Operator, ref: InstitutionRef): Promise<Result<InstitutionView>> {
  const approved = await step(ctx, async (tx) => {
    requireRole(approver, ['OFFICER'], 'approve an issuer’s withdrawal');
    await requireActiveOperator(tx, approver);
    const current = await lockInstitution(tx, ref);
    const pending = pendingWithdrawal(current);
    if (!pending) refuse('INSTITUTION_WITHDRAWAL_NONE', 'no withdrawal of this institution awaits approval', { field: 'institution' });
    if (pending.requestedBy === approver.id) refuse('DUAL_CONTROL_SAME_OFFICER', 'the operator who asked for the withdrawal cannot approve it', { field: 'approver' });
    if (!NEXT_STATUSES[current.status].includes('WITHDRAWN')) refuse('INSTITUTION_WITHDRAWN', 'a withdrawn institution is not changed', { field: 'status' });
    const updated = await tx.institution.update({ where: { id: current.id }, data: { status: 'WITHDRAWN', withdrawalApprovedById: approver.id, updatedAt: ctx.now() } });
    const requestedBy = await tx.operator.findUniqueOrThrow({ where: { id: pending.requestedBy }, select: { username: true } });
    await auditInstitution(tx, ctx, approver, 'status', updated, { from: current.status, to: 'WITHDRAWN', reason: pending.reason, requestedBy: requestedBy.username });
    const revoked = await revokeWithdrawnIssuersCertificates(tx, approver, updated.id, ctx.now());
    return { view: view(updated), revoked };
  });
  if (!approved.ok) return refusedApproval(ctx, approver, { type: 'institution', id: 'id' in ref ? ref.id : toHex(ref.code) }, approved.error);
  // After the commit, never inside it: a publication signs in the HSM.
  if (approved.value.revoked > 0) await announceChange(ctx, 'revocation');
  return { ok: true, value: approved.value.view };
}

/** Any officer or administrator drops a pending withdrawal, with a reason. */
export async function rejectWithdrawal(ctx: ServiceContext, actor: Operator, ref: InstitutionRef, reason: string): Promise<Result<InstitutionView>> {
  if (reason.trim() === '') return err('REASON_REQUIRED', 'a rejection needs a reason', { field: 'reason' });
  return step(ctx, async (tx) => {
    requireRole(actor, ['OFFICER', 'ADMIN'], 'reject an issuer’s withdrawal');
    await requireActiveOperator(tx, actor);
    const current = await lockInstitution(tx, ref);
    if (!pendingWithdrawal(current)) refuse('INSTITUTION_WITHDRAWAL_NONE', 'no withdrawal of this institution awaits approval', { field: 'institution' });
    const updated = await tx.institution.update({
      where: { id: current.id },
      data: { withdrawalRequestedById: null, withdrawalRequestedAt: null, withdrawalReason: null, updatedAt: ctx.now() },
    });
    await auditInstitution(tx, ctx, actor, 'withdrawalRejected', updated, { reason: reason.trim() });
    return view(updated);
  });
}

function auditInstitution(tx: Tx, ctx: ServiceContext, actor: Operator, verb: string, row: InstitutionRow, details: Record<string, unknown>) {
  return appendAuditEvent(tx, {
    actor,
    action: `institution.${verb}`,
    objectType: 'institution',
    objectId: String(row.id),
    details: { kind: row.kind, code: row.code, ...details },
    time: ctx.now(),
  });
}

function pendingWithdrawal(row: InstitutionRow): InstitutionView['pendingWithdrawal'] {
  return row.status !== 'WITHDRAWN' && row.withdrawalRequestedById !== null && row.withdrawalRequestedAt !== null
    ? { requestedBy: row.withdrawalRequestedById, requestedAt: row.withdrawalRequestedAt, reason: row.withdrawalReason ?? '' }
    : null;
}

/**
 * A withdrawn issuer's certificates that terminals would still accept are revoked with the
 * profile's reason 03 in the withdrawal's own transaction, so the next revocation list carries
 * them; expired ones are already refused by every terminal and stay as they are.
 */
async function revokeWithdrawnIssuersCertificates(tx: Tx, actor: Operator, institutionId: number, now: Date): Promise<number> {
  const live = await tx.certificate.findMany({
    where: { institutionId, status: 'ACTIVE', expiresAt: { gt: now } },
    select: { number: true },
    orderBy: { number: 'asc' },
  });
  for (const { number } of live) {
    await revokeInTransaction(tx, actor, number, 'issuerWithdrawn', now, { cause: 'institution.withdrawn' });
  }
  return live.length;
}

export async function findInstitution(ctx: ServiceContext, ref: InstitutionRef): Promise<Result<InstitutionView>> {
  const row = await ctx.prisma.institution.findUnique({ where: whereRef(ref) });
  return row ? ok(view(row)) : { ok: false, error: notFound(ref) };
}

export async function listInstitutions(ctx: ServiceContext, filter: { kind?: InstitutionKind; status?: InstitutionStatus } = {}): Promise<InstitutionView[]> {
  const rows = await ctx.prisma.institution.findMany({ where: filter, orderBy: [{ kind: 'asc' }, { code: 'asc' }] });
  return rows.map(view);
}

const whereRef = (ref: InstitutionRef): Prisma.InstitutionWhereUniqueInput => ('id' in ref ? { id: ref.id } : { kind_code: { kind: ref.kind, code: bytes(ref.code) } });

function notFound(ref: InstitutionRef): TqError {
  const what = 'id' in ref ? `id ${ref.id}` : `${ref.kind} ${toHex(ref.code)}`;
  return { code: 'INSTITUTION_NOT_FOUND', message: `no institution ${what}`, field: 'institution' };
}

type InstitutionRow = Prisma.InstitutionGetPayload<object>;

/** Reads the institution with its row locked, so that concurrent changes apply one after another. */
async function lockInstitution(tx: Tx, ref: InstitutionRef): Promise<InstitutionRow> {
  const found = await tx.institution.findUnique({ where: whereRef(ref), select: { id: true } });
  if (!found) throw new TqException(notFound(ref));
  await tx.$executeRaw`SELECT 1 FROM institution WHERE id = ${found.id} FOR UPDATE`;
  return tx.institution.findUniqueOrThrow({ where: { id: found.id } });
}

function pick(row: InstitutionRow, keys: object): Record<string, unknown> {
  return Object.fromEntries(Object.keys(keys).map((k) => [k, row[k as keyof InstitutionRow]]));
}

function view(row: InstitutionRow): InstitutionView {
  return {
    id: row.id,
    kind: row.kind,
    code: row.code,
    nameZh: row.nameZh,
    nameEn: row.nameEn,
    status: row.status,
    contacts: row.contacts as unknown as Contact[],
    pendingWithdrawal: pendingWithdrawal(row),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export interface InstitutionEvent {
  readonly time: Date;
  readonly actor: string;
  /** `institution.create`, `institution.status`, `institution.withdrawalRequested`, … */
  readonly action: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** An institution's life from the audit chain (creation, changes, status and withdrawal steps), oldest first. */
export async function institutionHistory(ctx: ServiceContext, actor: Operator, id: number): Promise<Result<InstitutionEvent[]>> {
  const allowed = checkRole(actor, ['ADMIN', 'OFFICER', 'AUDITOR'], 'read institution history');
  if (!allowed.ok) return allowed;
  const rows = await ctx.prisma.auditEvent.findMany({ where: { objectType: 'institution', objectId: String(id) }, orderBy: { seq: 'asc' } });
  return ok(rows.map((r) => ({ time: r.time, actor: r.actor, action: r.action, details: r.details as Record<string, unknown> })));
}
