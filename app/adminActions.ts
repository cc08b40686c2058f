'use server';
/**
 * The administrator screens' server actions: operator changes and their queue, the seal,
 * institutions and their API tokens. Each one first passes guardAction (same-origin, session,
 * role, step-up from lib/server/access.ts), then parses its form, calls one CA service and answers
 * an AdminFormState; the services check roles and dual control again.
 */
import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';
import {
  approveOperatorChange as approveChange,
  approveWithdrawal,
  changeOperator,
  createApiToken,
  createInstitution,
  disableOperator,
  InstitutionKind,
  InstitutionStatus,
  OperatorRole,
  parseContacts,
  rejectOperatorChange as rejectChange,
  rejectWithdrawal,
  revokeApiToken,
  sealGovernance,
  setInstitutionStatus,
  ApiTokenScope,
  type OperatorChange,
} from '../lib/ca';
import { Code, err, ok, type Result } from '../lib/errors';
import type { AdminDone, AdminFormState } from '../lib/server/adminForms';
import { consoleServices } from '../lib/server/ca';
import { failed, textField } from '../lib/server/forms';
import { guardAction } from '../lib/server/session';

const CHANGE_KINDS = ['CREATE', 'SET_ROLES', 'ENABLE', 'RESET_SECOND_FACTOR', 'RESET_PASSWORD'] as const;

function choice<T extends string>(form: FormData, name: string, values: readonly T[]): Result<T> {
  const value = form.get(name);
  return values.includes(value as T) ? ok(value as T) : err('FORM_INVALID', `${name} must be one of ${values.join(', ')}`, { field: name });
}

function idField(form: FormData, name: string): Result<number> {
  const value = form.get(name);
  return typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) ? ok(Number(value)) : err('FORM_INVALID', `${name} must be a positive whole number`, { field: name });
}

const optionalText = (form: FormData, name: string): string => {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
};

const done = (value: AdminDone, ...paths: string[]): AdminFormState => {
  for (const path of paths) revalidatePath(path);
  return { done: value };
};

function operatorChangeFrom(form: FormData): Result<OperatorChange> {
  const kind = choice(form, 'kind', CHANGE_KINDS);
  if (!kind.ok) return kind;
  const username = textField(form, 'username');
  if (!username.ok) return username;
  if (kind.value !== 'CREATE' && kind.value !== 'SET_ROLES') return ok({ kind: kind.value, username: username.value });
  const role = choice(form, 'role', Object.values(OperatorRole));
  if (!role.ok) return role;
  if (kind.value === 'SET_ROLES') return ok({ kind: 'SET_ROLES', username: username.value, roles: [role.value] });
  const displayName = textField(form, 'displayName');
  if (!displayName.ok) return displayName;
  return ok({ kind: 'CREATE', operator: { username: username.value, displayName: displayName.value, roles: [role.value] } });
}

/** Before the seal the change applies at once; after it, it waits in the queue for a second administrator. */
export async function requestOperatorChange(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('requestOperatorChange');
  if (!session.ok) return failed(session.error);
  const change = operatorChangeFrom(form);
  if (!change.ok) return failed(change.error);
  const changed = await changeOperator((await consoleServices()).ca, session.value.operator, change.value);
  if (!changed.ok) return failed(changed.error);
  const { request, operator, oneTimePassword } = changed.value;
  return done(request ? { notice: 'requested', subject: `#${request.id}` } : { notice: 'applied', subject: operator?.username, secret: oneTimePassword }, '/operators');
}

export async function approveOperatorChange(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('approveOperatorChange');
  if (!session.ok) return failed(session.error);
  const requestId = idField(form, 'requestId');
  if (!requestId.ok) return failed(requestId.error);
  const approved = await approveChange((await consoleServices()).ca, session.value.operator, requestId.value);
  if (!approved.ok) return failed(approved.error);
  return done({ notice: 'approved', subject: approved.value.operator?.username, secret: approved.value.oneTimePassword }, '/operators');
}

export async function rejectOperatorChange(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('rejectOperatorChange');
  if (!session.ok) return failed(session.error);
  const requestId = idField(form, 'requestId');
  if (!requestId.ok) return failed(requestId.error);
  const rejected = await rejectChange((await consoleServices()).ca, session.value.operator, requestId.value, optionalText(form, 'reason'));
  return rejected.ok ? done({ notice: 'rejected', subject: `#${rejected.value.id}` }, '/operators') : failed(rejected.error);
}

/** Disabling takes effect at once, by one administrator (the service's rule: reducing privilege must be fast). */
export async function disableOperatorNow(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('disableOperatorNow');
  if (!session.ok) return failed(session.error);
  const username = textField(form, 'username');
  if (!username.ok) return failed(username.error);
  const disabled = await disableOperator((await consoleServices()).ca, session.value.operator, username.value);
  return disabled.ok ? done({ notice: 'disabled', subject: disabled.value.username }, '/operators') : failed(disabled.error);
}

export async function sealOperatorSet(_state: AdminFormState): Promise<AdminFormState> {
  const session = await guardAction('sealOperatorSet');
  if (!session.ok) return failed(session.error);
  const sealed = await sealGovernance((await consoleServices()).ca, session.value.operator);
  return sealed.ok ? done({ notice: 'sealed' }, '/operators') : failed(sealed.error);
}

const CONTACT_ROWS = 2;

function institutionCode(form: FormData): Result<Uint8Array | undefined> {
  const text = optionalText(form, 'code');
  if (text === '') return ok(undefined);
  return /^[0-9a-fA-F]{8}$/.test(text) ? ok(new Uint8Array(Buffer.from(text, 'hex'))) : err(Code.INSTITUTION_CODE_INVALID, 'the code is 8 hex digits (4 bytes), or empty to allocate one', { field: 'code' });
}

export async function registerInstitution(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('registerInstitution');
  if (!session.ok) return failed(session.error);
  const kind = choice(form, 'kind', Object.values(InstitutionKind));
  if (!kind.ok) return failed(kind.error);
  const code = institutionCode(form);
  if (!code.ok) return failed(code.error);
  const rows = Array.from({ length: CONTACT_ROWS }, (_, i) => {
    const entries = (['name', 'role', 'email', 'phone'] as const).map((k) => [k, optionalText(form, `contact${i}.${k}`)] as const).filter(([, v]) => v !== '');
    return Object.fromEntries(entries);
  }).filter((c) => Object.keys(c).length > 0);
  const contacts = parseContacts(rows);
  if (!contacts.ok) return failed(contacts.error);
  const created = await createInstitution((await consoleServices()).ca, session.value.operator, {
    kind: kind.value,
    code: code.value,
    nameZh: optionalText(form, 'nameZh'),
    nameEn: optionalText(form, 'nameEn'),
    contacts: contacts.value,
  });
  if (!created.ok) return failed(created.error);
  revalidatePath('/institutions');
  redirect(`/institutions/${created.value.id}`);
}

export async function changeInstitutionStatus(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('changeInstitutionStatus');
  if (!session.ok) return failed(session.error);
  const id = idField(form, 'institutionId');
  if (!id.ok) return failed(id.error);
  const status = choice(form, 'status', Object.values(InstitutionStatus));
  if (!status.ok) return failed(status.error);
  const changed = await setInstitutionStatus((await consoleServices()).ca, session.value.operator, { id: id.value }, status.value, optionalText(form, 'reason'));
  if (!changed.ok) return failed(changed.error);
  const asked = changed.value.pendingWithdrawal !== null && status.value === 'WITHDRAWN';
  return done({ notice: asked ? 'withdrawalRequested' : 'statusChanged' }, `/institutions/${id.value}`, '/institutions');
}

export async function approveInstitutionWithdrawal(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('approveInstitutionWithdrawal');
  if (!session.ok) return failed(session.error);
  const id = idField(form, 'institutionId');
  if (!id.ok) return failed(id.error);
  const approved = await approveWithdrawal((await consoleServices()).ca, session.value.operator, { id: id.value });
  return approved.ok ? done({ notice: 'withdrawn' }, `/institutions/${id.value}`, '/institutions') : failed(approved.error);
}

export async function rejectInstitutionWithdrawal(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('rejectInstitutionWithdrawal');
  if (!session.ok) return failed(session.error);
  const id = idField(form, 'institutionId');
  if (!id.ok) return failed(id.error);
  const rejected = await rejectWithdrawal((await consoleServices()).ca, session.value.operator, { id: id.value }, optionalText(form, 'reason'));
  return rejected.ok ? done({ notice: 'withdrawalRejected' }, `/institutions/${id.value}`) : failed(rejected.error);
}

/** The expiry date is a day in China Standard Time; the token expires at that day's end. */
function expiryField(form: FormData): Result<Date> {
  const text = optionalText(form, 'expiresAt');
  const at = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T23:59:59+08:00`) : new Date(Number.NaN);
  return Number.isNaN(at.getTime()) ? err('FORM_INVALID', 'the expiry is a date (YYYY-MM-DD)', { field: 'expiresAt' }) : ok(at);
}

export async function createInstitutionToken(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('createInstitutionToken');
  if (!session.ok) return failed(session.error);
  const institutionId = idField(form, 'institutionId');
  if (!institutionId.ok) return failed(institutionId.error);
  const scope = choice(form, 'scope', Object.values(ApiTokenScope));
  if (!scope.ok) return failed(scope.error);
  const expiresAt = expiryField(form);
  if (!expiresAt.ok) return failed(expiresAt.error);
  const created = await createApiToken((await consoleServices()).ca, session.value.operator, {
    institutionId: institutionId.value,
    scope: scope.value,
    label: optionalText(form, 'label'),
    expiresAt: expiresAt.value,
  });
  // The secret travels in this one answer only: it is not stored, and the page never shows it again.
  return created.ok ? done({ notice: 'tokenCreated', subject: created.value.view.id, secret: created.value.token }, '/api-tokens') : failed(created.error);
}

export async function revokeInstitutionToken(_state: AdminFormState, form: FormData): Promise<AdminFormState> {
  const session = await guardAction('revokeInstitutionToken');
  if (!session.ok) return failed(session.error);
  const token = textField(form, 'tokenId');
  if (!token.ok) return failed(token.error);
  const revoked = await revokeApiToken((await consoleServices()).ca, session.value.operator, token.value, optionalText(form, 'reason'));
  return revoked.ok ? done({ notice: 'tokenRevoked', subject: revoked.value.id }, '/api-tokens') : failed(revoked.error);
}
