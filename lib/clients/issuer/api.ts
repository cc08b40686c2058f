/**
 * The issuer endpoints of /api/v1 as typed calls, each answer checked against what the API
 * document promises (a field missing or of the wrong shape is CLIENT_RESPONSE_INVALID, never a
 * crash further on). A 429 is waited out (Retry-After, at most a minute) and the call repeated: the
 * server did nothing with a rate-limited request.
 */
import { parseHex } from '../../bytes';
import { err, ok, type Result } from '../../errors';
import { answerError, call, type ApiEndpoint, type CallOptions } from '../http';

export type RequestState = 'submitted' | 'reviewed' | 'approved' | 'issued' | 'rejected' | 'expired';
const REQUEST_STATES: readonly string[] = ['submitted', 'reviewed', 'approved', 'issued', 'rejected', 'expired'];
/** Requests the center may still act on. */
export const OPEN_STATES: readonly RequestState[] = ['submitted', 'reviewed', 'approved'];

export interface Challenge {
  /** The token's issuer, as the A1 names it. */
  readonly issuerId: number;
  readonly challenge: Uint8Array;
  readonly expiresAt: string;
}

export interface IssuerRequest {
  readonly id: number;
  readonly issuerId: number;
  readonly state: RequestState;
  readonly serial: number;
  readonly expiry: string;
  readonly fingerprint: string;
  readonly rejection: { readonly code: string | null; readonly reason: string | null } | null;
  readonly certificateNumber: string | null;
}

export interface CertificateSummary {
  readonly number: string;
  readonly state: 'active' | 'revoked' | 'expired';
  readonly serial: number;
  readonly expiresAt: string;
  readonly requestId: number;
}

export interface FetchedCertificate extends CertificateSummary {
  readonly certificate: Uint8Array;
  readonly a3Record: Uint8Array | null;
}

export interface RootRecord {
  readonly a2Record: Uint8Array;
  readonly checkValue: string;
}

const MAX_RETRY_AFTER_S = 60;
const RETRIES = 5;

type Json = Record<string, unknown>;
const invalid = (what: string): Result<never> => err('CLIENT_RESPONSE_INVALID', `the answer's ${what} is not what the API document promises`, { field: what });

async function callFor(endpoint: ApiEndpoint, path: string, expected: number, options: CallOptions = {}): Promise<Result<Json>> {
  for (let attempt = 0; ; attempt++) {
    const answer = await call(endpoint, path, { ...options, headers: { accept: 'application/json', ...options.headers } });
    if (!answer.ok) return answer;
    const { status, headers, body } = answer.value;
    if (status === 429 && attempt < RETRIES) {
      const wait = Math.min(MAX_RETRY_AFTER_S, Math.max(1, Number(headers['retry-after']) || 1));
      await new Promise((r) => setTimeout(r, wait * 1000));
      continue;
    }
    if (status !== expected) return { ok: false, error: answerError(answer.value) };
    try {
      const json = JSON.parse(body.toString('utf8')) as unknown;
      return typeof json === 'object' && json !== null && !Array.isArray(json) ? ok(json as Json) : invalid('body');
    } catch {
      return invalid('body');
    }
  }
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const hexOf = (v: unknown, bytes: number): Uint8Array | null => {
  if (typeof v !== 'string' || v.length !== bytes * 2) return null;
  const parsed = parseHex(v);
  return parsed.ok ? parsed.value : null;
};
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
const isText = (v: unknown): v is string => typeof v === 'string';

function requestOf(v: unknown): Result<IssuerRequest> {
  if (!isObject(v) || !isInt(v.id) || hexOf(v.issuerId, 4) === null || !REQUEST_STATES.includes(v.state as string) || !isInt(v.serial) || !isText(v.expiry) || hexOf(v.fingerprint, 8) === null) return invalid('request');
  const rejection = isObject(v.rejection) ? { code: (v.rejection.code as string | null) ?? null, reason: (v.rejection.reason as string | null) ?? null } : null;
  const certificateNumber = isText(v.certificateNumber) && /^[0-9A-Fa-f]{8}$/.test(v.certificateNumber) ? v.certificateNumber : null;
  return ok({ id: v.id, issuerId: Number.parseInt(v.issuerId as string, 16), state: v.state as RequestState, serial: v.serial, expiry: v.expiry, fingerprint: v.fingerprint as string, rejection, certificateNumber });
}

function summaryOf(v: unknown): Result<CertificateSummary> {
  if (!isObject(v) || !isText(v.number) || !['active', 'revoked', 'expired'].includes(v.state as string) || !isInt(v.serial) || !isText(v.expiresAt) || !isInt(v.requestId)) {
    return invalid('certificate');
  }
  return ok({ number: v.number, state: v.state as CertificateSummary['state'], serial: v.serial, expiresAt: v.expiresAt, requestId: v.requestId });
}

function listOf<T>(v: unknown, item: (v: unknown) => Result<T>, what: string): Result<T[]> {
  if (!Array.isArray(v)) return invalid(what);
  const out: T[] = [];
  for (const entry of v) {
    const parsed = item(entry);
    if (!parsed.ok) return parsed;
    out.push(parsed.value);
  }
  return ok(out);
}

export async function postChallenge(endpoint: ApiEndpoint): Promise<Result<Challenge>> {
  const answer = await callFor(endpoint, '/api/v1/challenges', 201, { method: 'POST' });
  if (!answer.ok) return answer;
  const challenge = hexOf(answer.value.challenge, 16);
  const issuerId = hexOf(answer.value.issuerId, 4);
  return challenge && issuerId && isText(answer.value.expiresAt)
    ? ok({ challenge, issuerId: Number.parseInt(answer.value.issuerId as string, 16), expiresAt: answer.value.expiresAt })
    : invalid('challenge');
}

export async function postRequest(endpoint: ApiEndpoint, a1: Uint8Array): Promise<Result<IssuerRequest>> {
  const answer = await callFor(endpoint, '/api/v1/requests', 201, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: a1 });
  return answer.ok ? requestOf(answer.value.request) : answer;
}

export async function getRequest(endpoint: ApiEndpoint, id: number): Promise<Result<IssuerRequest>> {
  const answer = await callFor(endpoint, `/api/v1/requests/${id}`, 200);
  return answer.ok ? requestOf(answer.value.request) : answer;
}

export async function listRequests(endpoint: ApiEndpoint): Promise<Result<IssuerRequest[]>> {
  const answer = await callFor(endpoint, '/api/v1/requests', 200);
  return answer.ok ? listOf(answer.value.requests, requestOf, 'requests') : answer;
}

export async function listCertificates(endpoint: ApiEndpoint, state?: CertificateSummary['state']): Promise<Result<CertificateSummary[]>> {
  const answer = await callFor(endpoint, `/api/v1/certificates${state ? `?state=${state}` : ''}`, 200);
  return answer.ok ? listOf(answer.value.certificates, summaryOf, 'certificates') : answer;
}

export async function getCertificate(endpoint: ApiEndpoint, number: string): Promise<Result<FetchedCertificate>> {
  const answer = await callFor(endpoint, `/api/v1/certificates/${encodeURIComponent(number)}`, 200);
  if (!answer.ok) return answer;
  const summary = summaryOf(answer.value.certificate);
  if (!summary.ok) return summary;
  const c = answer.value.certificate as Json;
  const certificate = hexOf(c.certificate, 106);
  const a3Record = c.a3Record === null ? null : hexOf(c.a3Record, 184);
  if (certificate === null || a3Record === undefined || (c.a3Record !== null && a3Record === null)) return invalid('certificate');
  return ok({ ...summary.value, certificate, a3Record });
}

/** GET /roots: the A2 records the center serves, each with the check value it states (the client checks both). */
export async function getRoots(endpoint: ApiEndpoint): Promise<Result<RootRecord[]>> {
  const answer = await callFor(endpoint, '/api/v1/roots', 200);
  if (!answer.ok) return answer;
  return listOf(
    answer.value.roots,
    (v) => {
      const a2Record = isObject(v) ? hexOf(v.a2Record, 109) : null;
      return a2Record && isObject(v) && isText(v.checkValue) ? ok({ a2Record, checkValue: v.checkValue.toLowerCase() }) : invalid('roots');
    },
    'roots',
  );
}
