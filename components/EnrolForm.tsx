'use client';
// Confirms TOTP enrolment with a first code, then shows the recovery codes this once.
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useActionState } from 'react';
import { enrolSecondFactor } from '../app/actions';
import type { FormState } from '../lib/server/forms';
import { FormError, fieldError } from './FormError';
import { buttonClass, inputClass, labelClass } from './ui';

export function EnrolForm() {
  const t = useTranslations('enrol');
  const [state, action, pending] = useActionState(enrolSecondFactor, {} as FormState<string[]>);
  if (state.done) {
    return (
      <section aria-labelledby="recovery-title" className="space-y-3">
        <h2 id="recovery-title" className="text-lg font-semibold">{t('recoveryTitle')}</h2>
        <p className="text-sm text-slate-700">{t('recoveryIntro')}</p>
        <ol className="grid grid-cols-2 gap-2 font-mono text-base sm:grid-cols-3" data-testid="recovery-codes">
          {state.done.map((code) => (
            <li key={code} className="rounded bg-slate-100 px-3 py-2">{code}</li>
          ))}
        </ol>
        <Link href="/" className={buttonClass}>{t('continue')}</Link>
      </section>
    );
  }
  return (
    <form action={action} className="max-w-sm space-y-4">
      <FormError error={state.error} id="enrol-error" />
      <div>
        <label htmlFor="code" className={labelClass}>{t('code')}</label>
        <input id="code" name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" required className={inputClass} {...fieldError(state.error, 'code', 'enrol-error')} />
      </div>
      <button type="submit" className={buttonClass} disabled={pending}>{t('submit')}</button>
    </form>
  );
}
