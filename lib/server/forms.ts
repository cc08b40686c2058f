/** What a console form's server action answers: the error to render beside its field, or success. */
import type { TqError } from '../errors';
import { err, ok, type Result } from '../errors';

export type FormState<T = undefined> = { readonly error?: TqError; readonly done?: T };

export const failed = (error: TqError): FormState<never> => ({ error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } });

/** A text field of the submitted form (parse at the edge: File or missing is FORM_INVALID). */
export function textField(form: FormData, name: string): Result<string> {
  const value = form.get(name);
  if (typeof value !== 'string' || value === '') return err('FORM_INVALID', `${name} is required`, { field: name });
  return ok(value);
}
