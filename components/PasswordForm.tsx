'use client';
import { useTranslations } from 'next-intl';
import { useActionState } from 'react';
import { changePassword } from '../app/actions';
import type { FormState } from '../lib/server/forms';
import { FormError, fieldError } from './FormError';
import { buttonClass, inputClass, labelClass } from './ui';

export function PasswordForm() {
  const t = useTranslations('password');
  const [state, action, pending] = useActionState(changePassword, {} as FormState);
  const e = state.error;
  return (
    <form action={action} className="max-w-md space-y-4">
      <FormError error={e} id="password-error" />
      <div>
        <label htmlFor="currentPassword" className={labelClass}>{t('current')}</label>
        <input id="currentPassword" name="currentPassword" type="password" autoComplete="current-password" required className={inputClass} {...fieldError(e, 'currentPassword', 'password-error')} />
      </div>
      <div>
        <label htmlFor="newPassword" className={labelClass}>{t('new')}</label>
        <input id="newPassword" name="newPassword" type="password" autoComplete="new-password" required aria-describedby="new-hint" className={inputClass} {...fieldError(e, 'newPassword', 'password-error')} />
        <p id="new-hint" className="mt-1 text-sm text-slate-600">{t('newHint')}</p>
      </div>
      <div>
        <label htmlFor="confirmPassword" className={labelClass}>{t('confirm')}</label>
        <input id="confirmPassword" name="confirmPassword" type="password" autoComplete="new-password" required className={inputClass} {...fieldError(e, 'confirmPassword', 'password-error')} />
      </div>
      <button type="submit" className={buttonClass} disabled={pending}>{t('submit')}</button>
    </form>
  );
}
