'use server';
/**
 * The officers' server actions: root-key ceremonies, request review/approval/issuance/rejection,
 * revocation, and the quorum's share entry. Each one is parse → one step-up-checked officer session
 * (guardAction with its row in lib/server/access.ts: same origin, session, OFFICER, second factor ≤ 5 min) → the CA service,
 * which enforces dual control itself → a FormState the form renders.
 */
import { revalidatePath } from 'next/cache';
import { ROOT_KEY_TRANSITIONS } from '../components/rootKeyTransitions';
import { REVOCATION_REASONS, type RevocationReason } from '../lib/codec';
import {
  approveCeremony,
  approveRequest,
  cancelCeremony,
  enterSigningShare,
  issueCertificate,
  lockSigning,
  parseRootKeyExpiry,
  rejectRequest,
  requestRootKeyChange,
  requestRootKeyCreation,
  reviewRequest,
  revokeCertificate,
  type ConsoleSession,
  type RootKeyEnvironment,
} from '../lib/ca';
import { Code, err, ok, type Result } from '../lib/errors';
import { consoleServices, serverCa } from '../lib/server/ca';
import { failed, textField, type FormState } from '../lib/server/forms';
import type { ActionName } from '../lib/server/access';
import { guardAction } from '../lib/server/session';

type Outcome = Result<unknown>;

/**
 * The action's checks first (its row in ACTION_ACCESS: same origin, session, OFFICER, step-up), so
 * nobody learns how a form is parsed before they may post it; then the form, then `run`. On
 * success the page at `path` re-renders with the new state.
 */
async function asOfficer<P>(
  name: ActionName,
  what: string,
  parse: () => Result<P>,
  path: (input: P) => string,
  run: (session: ConsoleSession, input: P) => Promise<Outcome>,
): Promise<FormState<true>> {
  const session = await guardAction(name, what);
  if (!session.ok) return failed(session.error);
  const input = parse();
  if (!input.ok) return failed(input.error);
  const done = await run(session.value, input.value);
  revalidatePath(path(input.value));
  return done.ok ? { done: true } : failed(done.error);
}

/** Each parser in turn; the first error, or every value. */
function fields<T extends Record<string, Result<unknown>>>(parsers: { [K in keyof T]: () => T[K] }): Result<{ [K in keyof T]: T[K] extends Result<infer V> ? V : never }> {
  const values: Record<string, unknown> = {};
  for (const [key, parse] of Object.entries(parsers) as [string, () => Result<unknown>][]) {
    const parsed = parse();
    if (!parsed.ok) return parsed;
    values[key] = parsed.value;
  }
  return ok(values as { [K in keyof T]: T[K] extends Result<infer V> ? V : never });
}

function integerField(form: FormData, name: string, radix = 10): Result<number> {
  const text = textField(form, name);
  if (!text.ok) return text;
  const pattern = radix === 16 ? /^[0-9A-Fa-f]{1,8}$/ : /^\d{1,9}$/;
  if (!pattern.test(text.value.trim())) return err(Code.FORM_INVALID, `${name} must be a ${radix === 16 ? 'hexadecimal' : 'whole'} number`, { field: name });
  return ok(Number.parseInt(text.value.trim(), radix));
}

/** `<input type="date">` gives YYYY-MM-DD; the A2 record (and the service) take YYMMDD. */
function expiryField(form: FormData) {
  const text = textField(form, 'expiry');
  if (!text.ok) return text;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.value);
  if (!day) return err(Code.FORM_INVALID, 'expiry must be a date', { field: 'expiry' });
  return parseRootKeyExpiry(`${day[1].slice(2)}${day[2]}${day[3]}`);
}

function environmentField(form: FormData): Result<RootKeyEnvironment> {
  const value = form.get('environment');
  return value === 'PRODUCTION' || value === 'TEST' ? ok(value) : err(Code.FORM_INVALID, 'environment must be PRODUCTION or TEST', { field: 'environment' });
}

const ROOT_KEYS = () => '/root-keys';
const requestPage = ({ id }: { id: number }) => `/requests/${id}`;

export async function requestRootKeyAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer(
    'requestRootKeyAction',
    'request root-key ceremonies',
    () => fields({ index: () => integerField(form, 'index', 16), environment: () => environmentField(form), expiry: () => expiryField(form) }),
    ROOT_KEYS,
    async ({ operator }, input) => requestRootKeyCreation((await consoleServices()).ca, operator, input),
  );
}

function changeField(form: FormData): Result<(typeof ROOT_KEY_TRANSITIONS)[number]['change']> {
  const change = ROOT_KEY_TRANSITIONS.find((t) => t.change === form.get('change'))?.change;
  return change ? ok(change) : err(Code.FORM_INVALID, `change must be one of ${ROOT_KEY_TRANSITIONS.map((t) => t.change).join(', ')}`, { field: 'change' });
}

export async function requestRootKeyChangeAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer(
    'requestRootKeyChangeAction',
    'request root-key ceremonies',
    () => fields({ index: () => integerField(form, 'index', 16), change: () => changeField(form) }),
    ROOT_KEYS,
    async ({ operator }, { index, change }) => requestRootKeyChange((await consoleServices()).ca, operator, change, index),
  );
}

export async function approveCeremonyAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer('approveCeremonyAction', 'approve root-key ceremonies', () => integerField(form, 'ceremonyId'), ROOT_KEYS, async ({ operator }, id) =>
    approveCeremony((await consoleServices()).ca, operator, id),
  );
}

export async function cancelCeremonyAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer('cancelCeremonyAction', 'cancel root-key ceremonies', () => integerField(form, 'ceremonyId'), ROOT_KEYS, async ({ operator }, id) =>
    cancelCeremony((await consoleServices()).ca, operator, id),
  );
}

export async function reviewRequestAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer(
    'reviewRequestAction',
    'review certificate requests',
    () => fields({ id: () => integerField(form, 'requestId'), fingerprint: () => textField(form, 'fingerprint') }),
    requestPage,
    async ({ operator }, { id, fingerprint }) => reviewRequest((await consoleServices()).ca, operator, id, fingerprint),
  );
}

/** Approval, then issuance at once, as `tqca request approve` does; a failed issuance leaves the request APPROVED for "issue". */
export async function approveRequestAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer(
    'approveRequestAction',
    'approve certificate requests',
    () => fields({ id: () => integerField(form, 'requestId'), rootKey: () => integerField(form, 'rootKeyIndex', 16) }),
    requestPage,
    async ({ operator }, { id, rootKey }) => {
      const { ca } = await consoleServices();
      const approved = await approveRequest(ca, operator, id, rootKey);
      return approved.ok ? issueCertificate(ca, operator, id) : approved;
    },
  );
}

export async function issueRequestAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer('issueRequestAction', 'issue certificates', () => fields({ id: () => integerField(form, 'requestId') }), requestPage, async ({ operator }, { id }) =>
    issueCertificate((await consoleServices()).ca, operator, id),
  );
}

export async function rejectRequestAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer(
    'rejectRequestAction',
    'reject certificate requests',
    () => fields({ id: () => integerField(form, 'requestId'), reason: () => textField(form, 'reason') }),
    requestPage,
    async ({ operator }, { id, reason }) => rejectRequest((await consoleServices()).ca, operator, id, reason),
  );
}

/** The certificate to revoke, its reason, and the number typed again to confirm. */
function revocationFields(form: FormData): Result<{ number: number; expected: string; reason: RevocationReason }> {
  const number = integerField(form, 'number', 16);
  if (!number.ok) return number;
  const reason = REVOCATION_REASONS.find((r): r is RevocationReason => r === form.get('reason'));
  if (!reason) return err(Code.REVOCATION_REASON, `reason must be one of ${REVOCATION_REASONS.join(', ')}`, { field: 'reason' });
  const typed = textField(form, 'confirmation');
  if (!typed.ok) return typed;
  const expected = number.value.toString(16).toUpperCase().padStart(8, '0');
  if (typed.value.trim().toUpperCase() !== expected) return err(Code.CONFIRMATION_MISMATCH, `type the certificate number ${expected} to confirm`, { field: 'confirmation' });
  return ok({ number: number.value, expected, reason });
}

export async function revokeCertificateAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer(
    'revokeCertificateAction',
    'revoke certificates',
    () => revocationFields(form),
    ({ expected }) => `/certificates/${expected}`,
    async ({ operator }, { number, reason }) => revokeCertificate((await consoleServices()).ca, operator, number, reason),
  );
}

export async function enterShareAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  return asOfficer('enterShareAction', 'enter a share of the signing-key PIN', () => textField(form, 'share'), () => '/signing', async ({ operator }, share) => {
    const { activation } = await serverCa();
    if (!activation) return err(Code.QUORUM_NOT_CONFIGURED, 'this CA signs with a configured PIN: there are no shares to enter', { field: 'share' });
    return enterSigningShare((await consoleServices()).ca, activation, operator, share.trim());
  });
}

/** Locking reduces what the CA can do: an officer or administrator, no step-up. */
export async function lockSigningAction(_state: FormState<true>, _form: FormData): Promise<FormState<true>> {
  const session = await guardAction('lockSigningAction', 'lock the signing keys');
  if (!session.ok) return failed(session.error);
  const { activation } = await serverCa();
  if (!activation) return failed({ code: Code.QUORUM_NOT_CONFIGURED, message: 'this CA signs with a configured PIN: there is nothing to lock', field: 'share' });
  const locked = await lockSigning((await consoleServices()).ca, activation, session.value.operator);
  revalidatePath('/signing');
  return locked.ok ? { done: true } : failed(locked.error);
}
