/**
 * How an error reads on screen: the error registry's meaning of its code in the page's language
 * (lib/errors: en and zh per code), or the error's own message for a code it does not declare.
 */
import { errorDefinition, isErrorCode } from '../lib/errors';
import type { Locale } from './locales';

export function errorText(error: { code: string; message?: string }, locale: Locale): string {
  if (!isErrorCode(error.code)) return error.message ?? error.code;
  const { en, zh } = errorDefinition(error.code);
  return locale === 'en' ? en : zh;
}
