/**
 * How an error reads on screen: by its code, from the error registry. The shared registry
 * (lib/errors, en/zh per code) is being built; until it lands the layers' English meanings serve,
 * and the one `meaning` line below is what to point at it.
 */
import { CA_ERROR_CODES } from '../lib/ca/errorCodes';
import { SERVER_ERROR_CODES } from '../lib/server/errorCodes';
import type { Locale } from './locales';

const MEANINGS: Readonly<Record<string, string>> = { ...CA_ERROR_CODES, ...SERVER_ERROR_CODES };

// The registry will answer per locale; the layer tables are English only.
const meaning = (code: string, _locale: Locale): string | undefined => MEANINGS[code];

export function errorText(error: { code: string; message?: string }, locale: Locale): string {
  return meaning(error.code, locale) ?? error.message ?? error.code;
}
