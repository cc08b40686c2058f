'use client';
// A form's error from its server action or sign-in, rendered from the registry.
import { useLocale, useTranslations } from 'next-intl';
import { errorText } from '../i18n/errorText';
import type { Locale } from '../i18n/locales';
import type { TqError } from '../lib/errors';
import { ErrorNotice } from './ErrorNotice';

type ShownError = Pick<TqError, 'code' | 'message' | 'field'>;

export function FormError({ error, id }: { error: ShownError | undefined; id: string }) {
  const t = useTranslations('errors');
  const locale = useLocale() as Locale;
  if (!error) return null;
  return <ErrorNotice id={id} code={error.code} text={errorText(error, locale)} field={error.field ? t('field', { field: error.field }) : undefined} />;
}

/** The props that tie an input to the error when the error names it. */
export const fieldError = (error: Pick<TqError, 'field'> | undefined, field: string, errorId: string) =>
  error?.field === field ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {};
