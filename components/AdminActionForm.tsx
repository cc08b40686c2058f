'use client';
/**
 * A form around one of the administrator screens' server actions, holding its own inputs: the
 * error from the registry (FormError, with its step-up link), the success notice, and
 * a secret (one-time password, API token) shown in this answer only. The form stays mounted
 * while the page refreshes, so a secret survives the refresh that the action triggers.
 */
import { useTranslations } from 'next-intl';
import { useActionState, type ReactNode } from 'react';
import type { AdminFormState } from '../lib/server/adminForms';
import { FormError } from './FormError';
import { buttonClass, dangerButtonClass } from './ui';

type AdminAction = (state: AdminFormState, form: FormData) => Promise<AdminFormState>;

export function AdminActionForm({
  id,
  action,
  submit,
  returnTo,
  children,
  className = 'space-y-3',
  danger = false,
}: {
  id: string;
  action: AdminAction;
  /** The submit button's text; omitted when the children hold their own submit buttons. */
  submit?: string;
  /** Where step-up sends the operator back to. */
  returnTo: string;
  children?: ReactNode;
  className?: string;
  danger?: boolean;
}) {
  const t = useTranslations('adminCommon');
  const [state, formAction, pending] = useActionState(action, {} as AdminFormState);
  const errorId = `${id}-error`;
  return (
    <form id={id} action={formAction} className={className} aria-describedby={state.error ? errorId : undefined} aria-busy={pending}>
      <FormError error={state.error} id={errorId} returnPath={returnTo} />
      {children}
      {submit ? (
        <button type="submit" className={`${danger ? dangerButtonClass : buttonClass} self-end justify-self-start`} disabled={pending}>
          {submit}
        </button>
      ) : null}
      {state.done && !state.error ? (
        <div role="status" data-testid="action-done" data-notice={state.done.notice} className="rounded-md border border-emerald-300 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">
          <p>{t(`done.${state.done.notice}`, { subject: state.done.subject ?? '' })}</p>
          {state.done.secret ? (
            <div className="mt-2">
              <p className="font-medium">{t('secretOnce')}</p>
              <code data-testid="secret-once" className="mt-1 block break-all rounded bg-white px-2 py-1 font-mono text-sm text-slate-900 select-all">
                {state.done.secret}
              </code>
            </div>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}
