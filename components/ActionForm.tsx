'use client';
/**
 * One server-action form of the officer screens: labelled fields described as data (the page
 * translates them on the server), hidden inputs, the error from the registry beside the field at
 * fault (focus moves there; STEP_UP_REQUIRED links to the step-up page), and a pending line while
 * the CA works (key generation, signing). The administrator screens' forms, which hold their own
 * inputs and may show a secret once, are AdminActionForm.
 */
import { useTranslations } from 'next-intl';
import { useActionState, useEffect, useRef } from 'react';
import type { FormState } from '../lib/server/forms';
import { FormError, fieldError } from './FormError';
import { buttonClass, inputClass, labelClass } from './ui';

export interface FieldSpec {
  readonly name: string;
  readonly label: string;
  readonly kind?: 'text' | 'date' | 'select';
  readonly options?: readonly { readonly value: string; readonly label: string }[];
  readonly hint?: string;
  readonly autoComplete?: string;
  readonly defaultValue?: string;
  readonly mono?: boolean;
}

export interface ActionFormProps {
  readonly action: (state: FormState<true>, form: FormData) => Promise<FormState<true>>;
  /** Unique on the page: prefixes the ids of fields and error. */
  readonly id: string;
  readonly hidden?: Readonly<Record<string, string>>;
  readonly fields?: readonly FieldSpec[];
  readonly submitLabel: string;
  readonly pendingLabel?: string;
  readonly doneLabel?: string;
  /** Where the step-up page sends the officer back to. */
  readonly returnPath: string;
  readonly danger?: boolean;
}

const dangerClass = buttonClass.replace('bg-sky-800', 'bg-red-700').replace('hover:bg-sky-900', 'hover:bg-red-800');

export function ActionForm({ action, id, hidden = {}, fields = [], submitLabel, pendingLabel, doneLabel, returnPath, danger }: ActionFormProps) {
  const t = useTranslations('caCommon');
  const [state, run, pending] = useActionState(action, {} as FormState<true>);
  const form = useRef<HTMLFormElement>(null);
  const errorId = `${id}-error`;
  useEffect(() => {
    if (!state.error) return;
    const field = state.error.field && form.current?.querySelector<HTMLElement>(`[name="${state.error.field}"]`);
    (field || document.getElementById(errorId))?.focus();
  }, [state, errorId]);
  return (
    <form ref={form} action={run} className="space-y-3" data-form={id}>
      <FormError error={state.error} id={errorId} returnPath={returnPath} />
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      {fields.map((f) => {
        const fieldId = `${id}-${f.name}`;
        const hintId = f.hint ? `${fieldId}-hint` : undefined;
        const common = {
          id: fieldId,
          name: f.name,
          required: true,
          defaultValue: f.defaultValue,
          'aria-describedby': hintId,
          className: `${inputClass}${f.mono ? ' font-mono' : ''}`,
          ...fieldError(state.error, f.name, errorId),
        };
        return (
          <div key={f.name}>
            <label htmlFor={fieldId} className={labelClass}>{f.label}</label>
            {f.kind === 'select' ? (
              <select {...common}>
                {f.options?.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
              </select>
            ) : (
              <input {...common} type={f.kind ?? 'text'} autoComplete={f.autoComplete ?? 'off'} spellCheck={false} />
            )}
            {f.hint ? <p id={hintId} className="mt-1 text-xs text-slate-600">{f.hint}</p> : null}
          </div>
        );
      })}
      <div className="flex flex-wrap items-center gap-3">
        <button type="submit" className={danger ? dangerClass : buttonClass} disabled={pending}>{submitLabel}</button>
        <p role="status" aria-live="polite" className="text-sm text-slate-700">
          {pending ? (pendingLabel ?? t('working')) : state.done && doneLabel ? doneLabel : ''}
        </p>
      </div>
    </form>
  );
}
