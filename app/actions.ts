'use server';
/**
 * The console's server actions for sign-in chores. Each one checks same-origin and the session
 * itself (lib/server/session.ts), then calls a CA service and answers a FormState.
 */
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { Code } from '../lib/errors';
import { isLocale, LOCALE_COOKIE } from '../i18n/locales';
import { changePassword as changeOperatorPassword, confirmEnrolment, confirmSecondFactor } from '../lib/ca';
import { removeFirstRunSecret } from '../lib/runtime/firstRunSecret';
import { consoleServices } from '../lib/server/ca';
import { failed, textField, type FormState } from '../lib/server/forms';
import { checkSameOrigin } from '../lib/server/sameOrigin';
import { guardAction } from '../lib/server/session';
import { safeReturnPath } from '../lib/server/returnPath';

export async function setLocale(form: FormData): Promise<void> {
  if (!checkSameOrigin(await headers(), { changesState: true }).ok) return;
  const locale = form.get('locale');
  if (!isLocale(locale)) return;
  (await cookies()).set(LOCALE_COOKIE, locale, { path: '/', sameSite: 'lax', httpOnly: true, maxAge: 365 * 86_400 });
}

export async function changePassword(_state: FormState, form: FormData): Promise<FormState> {
  const session = await guardAction('changePassword');
  if (!session.ok) return failed(session.error);
  const current = textField(form, 'currentPassword');
  if (!current.ok) return failed(current.error);
  const next = textField(form, 'newPassword');
  if (!next.ok) return failed(next.error);
  if (form.get('confirmPassword') !== next.value) return failed({ code: 'FORM_INVALID', message: 'the two new passwords differ', field: 'confirmPassword' });
  const { operator, id } = session.value;
  const changed = await changeOperatorPassword((await consoleServices()).ca, operator.username, current.value, next.value, id);
  // The service names the password at fault `password`; the form has two.
  if (!changed.ok) return failed({ ...changed.error, field: changed.error.code === Code.AUTHENTICATION_FAILED ? 'currentPassword' : 'newPassword' });
  if (changed.value.replacedOneTimePassword) removeFirstRunSecret(operator.username);
  redirect(session.value.enrolmentRequired ? '/account/second-factor' : '/');
}

export async function enrolSecondFactor(_state: FormState<string[]>, form: FormData): Promise<FormState<string[]>> {
  const session = await guardAction('enrolSecondFactor');
  if (!session.ok) return failed(session.error);
  if (session.value.passwordChangeRequired) return failed({ code: Code.AUTHENTICATION_REQUIRED, message: 'change the one-time password first', field: 'session' });
  const code = textField(form, 'code');
  if (!code.ok) return failed(code.error);
  const confirmed = await confirmEnrolment((await consoleServices()).auth, session.value.operator, code.value, session.value.id);
  return confirmed.ok ? { done: confirmed.value } : failed(confirmed.error);
}

export async function stepUp(_state: FormState, form: FormData): Promise<FormState> {
  const session = await guardAction('stepUp');
  if (!session.ok) return failed(session.error);
  const code = textField(form, 'code');
  if (!code.ok) return failed(code.error);
  const confirmed = await confirmSecondFactor((await consoleServices()).auth, session.value, code.value);
  if (!confirmed.ok) return failed(confirmed.error);
  redirect(safeReturnPath(form.get('next')));
}
