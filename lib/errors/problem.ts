/**
 * How a TqError answers over HTTP: the status its category maps to, and the RFC 9457 problem
 * document (`application/problem+json`) the API sends. Pure: the route handler sets the status and
 * the content type from what this returns.
 */
import type { TqError } from './index';
import { errorDefinition, type Category, type ErrorCode } from './registry';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Bad input is 400, not 422: it covers malformed bytes and hex as much as well-formed requests
 * that break a rule, the API parses each request into typed values in one step so there is no
 * syntax-versus-semantics line to draw, and clients act on `code`, not on the status.
 */
export const HTTP_STATUS: Readonly<Record<Category, number>> = {
  badInput: 400,
  unauthenticated: 401,
  forbidden: 403,
  notFound: 404,
  conflict: 409,
  internal: 500,
  unavailable: 503,
};

/** The problem type of a code: a URN, stable and not meant to be dereferenced (RFC 9457 §3.1.1). */
export const problemType = (code: ErrorCode): string => `urn:tqca:error:${code}`;

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly code: ErrorCode;
  readonly field?: string;
  readonly offset?: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface ProblemOptions {
  /** The request's path or id, so an operator can quote the occurrence. */
  readonly instance?: string;
  /** Language of `title` (the code's registered meaning); `detail` is the error's own message. */
  readonly lang?: 'en' | 'zh';
}

/**
 * The RFC 9457 problem document for `error`. An internal error's message and details describe our
 * own fault and may carry internals, so they are replaced by the registered meaning.
 */
export function problemDetails(error: TqError, { instance, lang = 'en' }: ProblemOptions = {}): ProblemDetails {
  const definition = errorDefinition(error.code);
  const internal = definition.category === 'internal';
  const field = error.field ?? definition.field;
  return {
    type: problemType(error.code),
    title: definition[lang],
    status: HTTP_STATUS[definition.category],
    detail: internal ? definition.en : error.message,
    ...(instance === undefined ? {} : { instance }),
    code: error.code,
    ...(field === undefined ? {} : { field }),
    ...(error.offset === undefined ? {} : { offset: error.offset }),
    ...(error.details === undefined || internal ? {} : { details: error.details }),
  };
}
