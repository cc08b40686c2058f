'use client';
// A form's error from its server action or sign-in, rendered from the registry; a refusal for want
// of a fresh second factor links to the step-up page, which sends the operator back to `returnPath`.
import Link from 'next/link';
import { useLocale, useTranslations } from 'next-intl';
import { errorText } from '../i18n/errorText';
import type { Locale } from '../i18n/locales';
import { Code, type TqError } from '../lib/errors';
import { ErrorNotice } from './ErrorNotice';

type ShownError = Pick<TqError, 'code' | 'message' | 'field'>;

export function FormError({ error, id, returnPath }: { error: ShownError | undefined; id: string; returnPath?: string }) {
  const t = useTranslations('errors');
  const locale = useLocale() as Locale;
  if (!error) return null;
  return (
    <>
      <ErrorNotice id={id} code={error.code} text={errorText(error, locale)} field={error.field ? t('field', { field: error.field }) : undefined} />
      {error.code === Code.STEP_UP_REQUIRED && returnPath !== undefined ? (
        <p className="text-sm">
          <Link href={`/step-up?next=${encodeURIComponent(returnPath)}`} className="font-medium text-sky-800 underline">
            {t('stepUpLink')}
          </Link>
        </p>
      ) : null}
    </>
  );
}

/** The props that tie an input to the error when the error names it. */
export const fieldError = (error: Pick<TqError, 'field'> | undefined, field: string, errorId: string) =>
  error?.field === field ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {};
