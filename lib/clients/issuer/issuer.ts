/**
 * The reference issuer client's three jobs, over HTTP(S) only: request a certificate (challenge →
 * A1 signed with the key as its proof of possession → submit), fetch it once issued (verified
 * against the root key the integrator trusts before it is written anywhere), and renew on time.
 * Renewal keeps no local state: what is pending or active is asked of the API each run, so a
 * daily cron job is idempotent even after the machine lost its files.
 */
import { equal, toHex } from '../../bytes';
import type { Sm2PublicKey } from '../../crypto/sm2';
import { certificateRecord, issuerCertificate, requestRecord, rootKeyRecord, verifyCertificateRecord, verifyIssuerCertificate, type TrustedRoot } from '../../codec';
import { err, ok, type Result } from '../../errors';
import type { ApiEndpoint } from '../http';
import { getCertificate, getRequest, getRoots, listCertificates, listRequests, OPEN_STATES, postChallenge, postRequest, type IssuerRequest } from './api';
import { fingerprintOf, type IssuerKey } from './keys';

export interface CalendarMonth {
  readonly year: number;
  readonly month: number;
}

/** MMYY as the profile writes an expiry month. */
export function parseExpiry(text: string): Result<CalendarMonth> {
  const m = /^(0[1-9]|1[0-2])([0-4][0-9])$/.exec(text);
  return m ? ok({ month: Number(m[1]), year: 2000 + Number(m[2]) }) : err('CLIENT_ARGUMENT_INVALID', 'the expiry is MMYY (month 01–12, year 00–49)', { field: 'expiry' });
}

const SERIAL_MAX = 0xffffff;
const CST_OFFSET_MS = 8 * 3600_000;

/** The month `months` after now's month in China Standard Time, where certificate months are counted. */
export function monthsAhead(now: Date, months: number): CalendarMonth {
  const cst = new Date(now.getTime() + CST_OFFSET_MS);
  const index = cst.getUTCFullYear() * 12 + cst.getUTCMonth() + months;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

export interface Submitted {
  readonly request: IssuerRequest;
  /** SM3(X‖Y)[0..7]: the issuer's officer reads it to the center out of band. */
  readonly fingerprint: string;
  readonly key: string;
}

/** Fetches a challenge, builds the A1 for the token's issuer, signs it with `key` (the proof of possession) and submits it. */
export async function requestCertificate(endpoint: ApiEndpoint, input: { key: IssuerKey; serial: number; expiry: CalendarMonth; now: () => Date }): Promise<Result<Submitted>> {
  const challenge = await postChallenge(endpoint);
  if (!challenge.ok) return challenge;
  const fields = {
    issuerId: challenge.value.issuerId,
    serial: input.serial,
    expiry: input.expiry,
    publicKey: input.key.publicKey,
    challenge: challenge.value.challenge,
    requestTime: Math.floor(input.now().getTime() / 1000),
  };
  let toBeSigned: Uint8Array;
  try {
    toBeSigned = requestRecord.toBeSigned(fields);
  } catch (e) {
    return err('CLIENT_ARGUMENT_INVALID', (e as Error).message, { field: 'serial' });
  }
  const proofOfPossession = await input.key.sign(toBeSigned);
  if (!proofOfPossession.ok) return proofOfPossession;
  const submitted = await postRequest(endpoint, requestRecord.encode({ ...fields, proofOfPossession: proofOfPossession.value }));
  if (!submitted.ok) return submitted;
  const fingerprint = fingerprintOf(input.key.publicKey);
  // The center computed the fingerprint from the bytes it received: a different one means they are not ours.
  if (submitted.value.fingerprint !== fingerprint) {
    return err('CLIENT_RESPONSE_INVALID', `the center reports fingerprint ${submitted.value.fingerprint} for key ${fingerprint}`, { field: 'fingerprint' });
  }
  return ok({ request: submitted.value, fingerprint, key: input.key.reference });
}

/** What the integrator trusts the certificate's root by: the key itself, or the A2 check values it confirmed out of band. */
export type RootTrust = { readonly kind: 'key'; readonly publicKey: Sm2PublicKey } | { readonly kind: 'checkValues'; readonly checkValues: readonly string[] };

/** The trusted roots: with check values, the A2 records GET /roots serves whose check value (verified at decode) is one of them. */
async function trustedRoots(endpoint: ApiEndpoint, trust: RootTrust): Promise<Result<readonly { index: number | null; publicKey: Sm2PublicKey }[]>> {
  if (trust.kind === 'key') return ok([{ index: null, publicKey: trust.publicKey }]);
  const roots = await getRoots(endpoint);
  if (!roots.ok) return roots;
  const wanted = new Set(trust.checkValues.map((v) => v.toLowerCase()));
  const trusted = [];
  for (const served of roots.value) {
    const decoded = rootKeyRecord.decode(served.a2Record);
    if (!decoded.ok) return err('CLIENT_RESPONSE_INVALID', `a served A2 record does not decode: ${decoded.error.message}`, { field: 'roots', details: { cause: decoded.error.code } });
    if (wanted.has(toHex(decoded.value.checkValue))) trusted.push({ index: decoded.value.rootKeyIndex, publicKey: decoded.value.publicKey });
  }
  return trusted.length > 0 ? ok(trusted) : err('CLIENT_ROOT_UNTRUSTED', 'no root key the center serves has a check value you configured', { field: 'rootCheck' });
}

export interface FetchedCertificate {
  readonly request: IssuerRequest;
  readonly number: string;
  readonly certificate: Uint8Array;
  readonly a3Record: Uint8Array | null;
  readonly expiresAt: string;
  readonly rootKeyIndex: number;
}

export interface FetchOptions {
  readonly requestId: number;
  readonly trust: RootTrust;
  readonly wait: boolean;
  readonly pollMs: number;
  readonly now: () => Date;
  /** Gives up waiting after this long (the center's officers may take days: a cron job runs fetch again). */
  readonly timeoutMs: number;
}

/** Polls the request until it is issued (with `wait`), then fetches the certificate and verifies it before answering it. */
export async function fetchCertificate(endpoint: ApiEndpoint, options: FetchOptions): Promise<Result<FetchedCertificate>> {
  const deadline = Date.now() + options.timeoutMs;
  let request: IssuerRequest;
  for (;;) {
    const polled = await getRequest(endpoint, options.requestId);
    if (!polled.ok) return polled;
    request = polled.value;
    if (request.state === 'issued' && request.certificateNumber !== null) break;
    if (!OPEN_STATES.includes(request.state)) {
      const why = request.rejection ? `: ${request.rejection.code ?? ''} ${request.rejection.reason ?? ''}`.trimEnd() : '';
      return err('CLIENT_REQUEST_CLOSED', `request ${request.id} is ${request.state}${why}`, { field: 'request', details: { state: request.state, rejection: request.rejection } });
    }
    if (!options.wait) return err('CLIENT_NOT_ISSUED', `request ${request.id} is ${request.state}, not issued yet`, { field: 'request', details: { state: request.state } });
    if (Date.now() + options.pollMs > deadline) return err('CLIENT_WAIT_TIMEOUT', `request ${request.id} is still ${request.state}`, { field: 'request', details: { state: request.state } });
    await new Promise((r) => setTimeout(r, options.pollMs));
  }
  const fetched = await getCertificate(endpoint, request.certificateNumber);
  if (!fetched.ok) return fetched;
  const roots = await trustedRoots(endpoint, options.trust);
  if (!roots.ok) return roots;
  const verified = verifyFetched(fetched.value.certificate, fetched.value.a3Record, roots.value, { ...options, request, number: request.certificateNumber });
  if (!verified.ok) return verified;
  return ok({ request, number: request.certificateNumber, certificate: fetched.value.certificate, a3Record: fetched.value.a3Record, expiresAt: fetched.value.expiresAt, rootKeyIndex: verified.value });
}

/**
 * The certificate verifies under a trusted root as a terminal checks it (signature, expiry), certifies
 * the key the request asked for, and the A3 (when there is one) binds it to this number and issuer
 * under the same root. Answers the root's index.
 */
function verifyFetched(
  certificate: Uint8Array,
  a3: Uint8Array | null,
  roots: readonly { index: number | null; publicKey: Sm2PublicKey }[],
  context: { request: IssuerRequest; number: string; now: () => Date },
): Result<number> {
  const decoded = issuerCertificate.decode(certificate);
  if (!decoded.ok) return decoded;
  const mismatch = (why: string) => err('CLIENT_CERTIFICATE_MISMATCH', why, { field: 'certificate' });
  if (fingerprintOf(decoded.value.publicKey) !== context.request.fingerprint) return mismatch('the certificate certifies another key than the request’s');
  if (decoded.value.serial !== context.request.serial) return mismatch(`the certificate carries serial ${decoded.value.serial}, the request ${context.request.serial}`);
  const a3Index = a3 === null ? null : certificateRecord.decode(a3);
  if (a3Index !== null && !a3Index.ok) return a3Index;
  let failure: Result<never> | null = null;
  for (const root of roots) {
    const index = root.index ?? (a3Index?.ok ? a3Index.value.rootKeyIndex : null);
    const checked = verifyIssuerCertificate(decoded.value, root.publicKey, context.now());
    if (!checked.ok) {
      failure ??= checked;
      continue;
    }
    if (a3Index?.ok) {
      const trusted: TrustedRoot = { rootKeyIndex: index ?? -1, publicKey: root.publicKey };
      const record = verifyCertificateRecord(a3Index.value, trusted);
      if (!record.ok) return record;
      const r = record.value;
      if (r.certificateNumber !== Number.parseInt(context.number, 16) || r.issuerId !== context.request.issuerId || !equal(issuerCertificate.encode(r.certificate), certificate)) {
        return mismatch('the A3 record binds another certificate, number or issuer');
      }
    }
    if (index === null) return mismatch('the certificate comes without an A3 record naming its root key; pass --root-check to take the index from the A2 record');
    return ok(index);
  }
  return failure ?? err('CLIENT_ROOT_UNTRUSTED', 'no trusted root key', { field: 'root' });
}

export type RenewOutcome =
  | { readonly action: 'none'; readonly certificate: string; readonly expiresAt: string }
  | { readonly action: 'pending'; readonly request: IssuerRequest }
  | { readonly action: 'requested'; readonly submitted: Submitted; readonly replaces: string | null };

export interface RenewOptions {
  readonly beforeDays: number;
  /** Validity of the new certificate, in months after the current one (CST). */
  readonly months: number;
  readonly now: () => Date;
  /** Makes the fresh key, only once a request is due. */
  readonly newKey: () => Promise<Result<IssuerKey>>;
}

/**
 * Renews when the newest active certificate expires within `beforeDays` (or there is none):
 * a request already open at the center is reported, not duplicated; otherwise a new request with
 * a fresh key and the next unused serial.
 */
export async function renew(endpoint: ApiEndpoint, options: RenewOptions): Promise<Result<RenewOutcome>> {
  const active = await listCertificates(endpoint, 'active');
  if (!active.ok) return active;
  const newest = active.value.reduce<(typeof active.value)[number] | null>((a, c) => (a === null || Date.parse(c.expiresAt) > Date.parse(a.expiresAt) ? c : a), null);
  const dueAt = options.now().getTime() + options.beforeDays * 24 * 3600_000;
  if (newest !== null && Date.parse(newest.expiresAt) > dueAt) return ok({ action: 'none', certificate: newest.number, expiresAt: newest.expiresAt });

  const requests = await listRequests(endpoint);
  if (!requests.ok) return requests;
  const open = requests.value.filter((r) => OPEN_STATES.includes(r.state)).at(-1);
  if (open) return ok({ action: 'pending', request: open });

  const serial = Math.max(0, ...requests.value.map((r) => r.serial)) + 1;
  if (serial > SERIAL_MAX) return err('CLIENT_ARGUMENT_INVALID', 'every serial up to FFFFFF is used; request with --serial', { field: 'serial' });
  const key = await options.newKey();
  if (!key.ok) return key;
  const submitted = await requestCertificate(endpoint, { key: key.value, serial, expiry: monthsAhead(options.now(), options.months), now: options.now });
  return submitted.ok ? ok({ action: 'requested', submitted: submitted.value, replaces: newest?.number ?? null }) : submitted;
}

