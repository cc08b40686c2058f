/**
 * The shape of one error-code declaration. Kept apart from the tables so each layer's table
 * (codes/*.ts) imports only this and the registry (registry.ts) imports the tables.
 */

/**
 * What kind of failure a code is, which decides how every surface answers it: the API's HTTP
 * status (problem.ts), the console's tone, whether retrying can help.
 */
export type Category =
  /** The caller's input or request breaks a rule; fixing the input fixes it. */
  | 'badInput'
  /** The named thing (operator, request, certificate, key …) does not exist. */
  | 'notFound'
  /** The input is fine but the current state forbids it (already used, already revoked, wrong state). */
  | 'conflict'
  /** The caller is known but may not do this (role, dual control, disabled). */
  | 'forbidden'
  /** The caller is not (or no longer) authenticated. */
  | 'unauthenticated'
  /** A dependency (HSM, database, software token build) cannot serve now; retrying later may help. */
  | 'unavailable'
  /** A fault of ours: a bug, a broken invariant or tampered stored data. */
  | 'internal';

export interface ErrorSpec {
  readonly category: Category;
  /** One-line meaning in English; module READMEs' code tables show exactly this text. */
  readonly en: string;
  /** The same meaning in Chinese, for operators (控制台与命令行的中文提示). */
  readonly zh: string;
  /** The field at fault when the code always names the same one. */
  readonly field?: string;
}

/** A layer's table: CODE → declaration, one line each. */
export type ErrorTable = Readonly<Record<string, ErrorSpec>>;
