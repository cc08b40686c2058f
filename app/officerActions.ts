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

/** The action's checks (its row in ACTION_ACCESS: OFFICER, step-up), then `run`; on success the page at `path` re-renders. */
async function asOfficer(name: ActionName, what: string, path: string, run: (session: ConsoleSession) => Promise<Outcome>): Promise<FormState<true>> {
  const session = await guardAction(name, what);
  if (!session.ok) return failed(session.error);
  const done = await run(session.value);
  revalidatePath(path);
  return done.ok ? { done: true } : failed(done.error);
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

export async function requestRootKeyAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const index = integerField(form, 'index', 16);
  if (!index.ok) return failed(index.error);
  const environment = environmentField(form);
  if (!environment.ok) return failed(environment.error);
  const expiry = expiryField(form);
  if (!expiry.ok) return failed(expiry.error);
  return asOfficer('requestRootKeyAction', 'request root-key ceremonies', '/root-keys', async ({ operator }) =>
    requestRootKeyCreation((await consoleServices()).ca, operator, { index: index.value, environment: environment.value, expiry: expiry.value }),
  );
}

export async function requestRootKeyChangeAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const index = integerField(form, 'index', 16);
  if (!index.ok) return failed(index.error);
  const change = ROOT_KEY_TRANSITIONS.find((t) => t.change === form.get('change'))?.change;
  if (!change) return failed({ code: Code.FORM_INVALID, message: `change must be one of ${ROOT_KEY_TRANSITIONS.map((t) => t.change).join(', ')}`, field: 'change' });
  return asOfficer('requestRootKeyChangeAction', 'request root-key ceremonies', '/root-keys', async ({ operator }) => requestRootKeyChange((await consoleServices()).ca, operator, change, index.value));
}

export async function approveCeremonyAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const id = integerField(form, 'ceremonyId');
  if (!id.ok) return failed(id.error);
  return asOfficer('approveCeremonyAction', 'approve root-key ceremonies', '/root-keys', async ({ operator }) => approveCeremony((await consoleServices()).ca, operator, id.value));
}

export async function cancelCeremonyAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const id = integerField(form, 'ceremonyId');
  if (!id.ok) return failed(id.error);
  return asOfficer('cancelCeremonyAction', 'cancel root-key ceremonies', '/root-keys', async ({ operator }) => cancelCeremony((await consoleServices()).ca, operator, id.value));
}

export async function reviewRequestAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const id = integerField(form, 'requestId');
  if (!id.ok) return failed(id.error);
  const fingerprint = textField(form, 'fingerprint');
  if (!fingerprint.ok) return failed(fingerprint.error);
  return asOfficer('reviewRequestAction', 'review certificate requests', `/requests/${id.value}`, async ({ operator }) =>
    reviewRequest((await consoleServices()).ca, operator, id.value, fingerprint.value),
  );
}

/** Approval, then issuance at once, as `tqca request approve` does; a failed issuance leaves the request APPROVED for "issue". */
export async function approveRequestAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const id = integerField(form, 'requestId');
  if (!id.ok) return failed(id.error);
  const rootKey = integerField(form, 'rootKeyIndex', 16);
  if (!rootKey.ok) return failed(rootKey.error);
  return asOfficer('approveRequestAction', 'approve certificate requests', `/requests/${id.value}`, async ({ operator }) => {
    const { ca } = await consoleServices();
    const approved = await approveRequest(ca, operator, id.value, rootKey.value);
    return approved.ok ? issueCertificate(ca, operator, id.value) : approved;
  });
}

export async function issueRequestAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const id = integerField(form, 'requestId');
  if (!id.ok) return failed(id.error);
  return asOfficer('issueRequestAction', 'issue certificates', `/requests/${id.value}`, async ({ operator }) => issueCertificate((await consoleServices()).ca, operator, id.value));
}

export async function rejectRequestAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const id = integerField(form, 'requestId');
  if (!id.ok) return failed(id.error);
  const reason = textField(form, 'reason');
  if (!reason.ok) return failed(reason.error);
  return asOfficer('rejectRequestAction', 'reject certificate requests', `/requests/${id.value}`, async ({ operator }) =>
    rejectRequest((await consoleServices()).ca, operator, id.value, reason.value),
  );
}

export async function revokeCertificateAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const number = integerField(form, 'number', 16);
  if (!number.ok) return failed(number.error);
  const reason = REVOCATION_REASONS.find((r): r is RevocationReason => r === form.get('reason'));
  if (!reason) return failed({ code: Code.REVOCATION_REASON, message: `reason must be one of ${REVOCATION_REASONS.join(', ')}`, field: 'reason' });
  const typed = textField(form, 'confirmation');
  if (!typed.ok) return failed(typed.error);
  const expected = number.value.toString(16).toUpperCase().padStart(8, '0');
  if (typed.value.trim().toUpperCase() !== expected) {
    return failed({ code: Code.CONFIRMATION_MISMATCH, message: `type the certificate number ${expected} to confirm`, field: 'confirmation' });
  }
  return asOfficer('revokeCertificateAction', 'revoke certificates', `/certificates/${expected}`, async ({ operator }) =>
    revokeCertificate((await consoleServices()).ca, operator, number.value, reason),
  );
}

export async function enterShareAction(_state: FormState<true>, form: FormData): Promise<FormState<true>> {
  const share = textField(form, 'share');
  if (!share.ok) return failed(share.error);
  return asOfficer('enterShareAction', 'enter a share of the signing-key PIN', '/signing', async ({ operator }) => {
    const { activation } = await serverCa();
    if (!activation) return err(Code.QUORUM_NOT_CONFIGURED, 'this CA signs with a configured PIN: there are no shares to enter', { field: 'share' });
    return enterSigningShare((await consoleServices()).ca, activation, operator, share.value.trim());
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
