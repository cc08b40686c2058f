/**
 * Free text an operator types into the CA (display names, institution names, contacts, reasons):
 * one line of printable Unicode. Control characters (tab and line breaks included: every field is
 * a single line), DEL, C1, the bidirectional embeddings, overrides and isolates (they reorder what
 * the next reader sees), the line and paragraph separators, and lone surrogates (not text; invalid
 * in UTF-8 and refused by PostgreSQL's JSON) are refused, as is anything longer than `max` characters.
 */
import { err, ok, type ErrorCode, type Result } from '../errors';

// \p{Cs} in a /u pattern matches a surrogate that is not half of a pair.
const NOT_TEXT = /[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]|\p{Cs}/u;

/** The longest name (operator display name, institution name, contact field) in characters. */
export const MAX_NAME_LENGTH = 200;
/** The longest reason (a status change's, a rejection's) in characters. */
export const MAX_REASON_LENGTH = 1000;

/** `value` trimmed, or `code` naming `field`: empty, too long, or holding what is not one line of text. */
export function singleLineText(value: string, field: string, code: ErrorCode, max: number): Result<string> {
  const text = value.trim();
  if (text === '') return err(code, `${field} is empty`, { field });
  const bad = NOT_TEXT.exec(text);
  if (bad) {
    const codePoint = bad[0].codePointAt(0)!;
    return err(code, `${field} holds U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} at character ${bad.index}: only one line of printable text is accepted`, {
      field,
      details: { codePoint, character: bad.index },
    });
  }
  const length = [...text].length;
  if (length > max) return err(code, `${field} is ${length} characters long, more than ${max}`, { field, details: { max, length } });
  return ok(text);
}
