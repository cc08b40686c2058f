'use client';
import { useTranslations } from 'next-intl';
import { useActionState } from 'react';
import { stepUp } from '../app/actions';
import type { FormState } from '../lib/server/forms';
import { FormError, fieldError } from './FormError';
import { buttonClass, inputClass, labelClass } from './ui';

export function StepUpForm({ next }: { next: string }) {
  const t = useTranslations('stepUp');
  const [state, action, pending] = useActionState(stepUp, {} as FormState);
  return (
    <form action={action} className="max-w-sm space-y-4">
      <FormError error={state.error} id="step-up-error" />
      <input type="hidden" name="next" value={next} />
      <div>
        <label htmlFor="code" className={labelClass}>{t('code')}</label>
        <input id="code" name="code" autoComplete="one-time-code" required spellCheck={false} className={inputClass} {...fieldError(state.error, 'code', 'step-up-error')} />
      </div>
      <button type="submit" className={buttonClass} disabled={pending}>{t('submit')}</button>
    </form>
  );
}
