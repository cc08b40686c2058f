// A service error on a server-rendered page, rendered from the registry.
import { getLocale, getTranslations } from 'next-intl/server';
import { errorText } from '../i18n/errorText';
import type { Locale } from '../i18n/locales';
import type { TqError } from '../lib/errors';
import { ErrorNotice } from './ErrorNotice';

export async function FormErrorStatic({ error }: { error: TqError | undefined }) {
  if (!error) return null;
  const t = await getTranslations('errors');
  const text = errorText(error, (await getLocale()) as Locale);
  return <ErrorNotice code={error.code} text={text} field={error.field ? t('field', { field: error.field }) : undefined} />;
}
