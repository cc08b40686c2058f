'use client';
// Username, password and (once enrolled) the second-factor code, posted to next-auth's credentials provider.
import { signIn } from 'next-auth/react';
import { useTranslations } from 'next-intl';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { FormError, fieldError } from './FormError';
import { buttonClass, inputClass, labelClass } from './ui';
import { isErrorCode, type ErrorCode } from '../lib/errors';

// Where each refusal points, so the error sits beside the right input.
const FIELD_OF: Record<string, string> = {
  AUTHENTICATION_FAILED: 'password',
  SECOND_FACTOR_REQUIRED: 'code',
  SECOND_FACTOR_INVALID: 'code',
  SECOND_FACTOR_UNREADABLE: 'code',
};

export function SignInForm({ initialError }: { initialError?: string }) {
  const t = useTranslations('signIn');
  const router = useRouter();
  const [error, setError] = useState<{ code: ErrorCode; message: string; field?: string } | undefined>(
    isErrorCode(initialError) ? { code: initialError, message: initialError } : undefined,
  );
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    const result = await signIn('credentials', {
      redirect: false,
      username: String(form.get('username') ?? ''),
      password: String(form.get('password') ?? ''),
      code: String(form.get('code') ?? ''),
    });
    setBusy(false);
    if (result?.ok && !result.error) {
      router.replace('/');
      router.refresh();
      return;
    }
    const code = isErrorCode(result?.error) ? result.error : 'AUTHENTICATION_FAILED';
    setError({ code, message: code, field: FIELD_OF[code] });
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <FormError error={error} id="sign-in-error" />
      <div>
        <label htmlFor="username" className={labelClass}>{t('username')}</label>
        <input id="username" name="username" autoComplete="username" required autoCapitalize="none" spellCheck={false} className={inputClass} {...fieldError(error, 'username', 'sign-in-error')} />
      </div>
      <div>
        <label htmlFor="password" className={labelClass}>{t('password')}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required className={inputClass} {...fieldError(error, 'password', 'sign-in-error')} />
      </div>
      <div>
        <label htmlFor="code" className={labelClass}>{t('code')}</label>
        <input id="code" name="code" inputMode="text" autoComplete="one-time-code" aria-describedby="code-hint" spellCheck={false} className={inputClass} {...fieldError(error, 'code', 'sign-in-error')} />
        <p id="code-hint" className="mt-1 text-sm text-slate-600">{t('codeHint')}</p>
      </div>
      <button type="submit" className={buttonClass} disabled={busy}>{busy ? t('submitting') : t('submit')}</button>
    </form>
  );
}
