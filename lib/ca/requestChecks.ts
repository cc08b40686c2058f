/**
 * The console's checks on a certificate request (TQ-CERT-1 §8), as one pure function over a
 * decoded A1 record and a read-only lookup. The first failing check answers, with one stable
 * code per check; nothing here writes anything. Byte-format checks (tag, `04 11 40`, X/Y < p,
 * on curve, even Y, serial ≠ 0, YY < 50) belong to the A1 decoder and have passed when this runs.
 */
import type { Sm2PublicKey } from '../crypto/sm2';
import { sm3 } from '../crypto/sm3';
import type { ErrorCode, TqError } from '../errors';
import { expiryMonth, verifyProofOfPossession, type RequestRecord } from '../codec';
import { cstMonthOf, monthsBetween } from './validity';

/** The decoded A1 record under check. */
export type RequestUnderCheck = RequestRecord;

export interface ChallengeState {
  readonly issuerId: number;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
}

export interface KeyUse {
  /** The key is one of the clearing center's root keys. */
  readonly isRootKey: boolean;
  /** The certificate already issued for this key (a key is certified once), if any. */
  readonly certifiedFor: { readonly issuerId: number; readonly revoked: boolean } | null;
  /** Issuers with an open (submitted or approved) request for this key. */
  readonly requestedBy: readonly number[];
}

/** Read-only facts the checks need; the database implements it inside the submitting transaction. */
export interface RequestLookup {
  issuerStatus(issuerId: number): Promise<string | null>;
  challenge(value: Uint8Array): Promise<ChallengeState | null>;
  keyUse(publicKey: Uint8Array): Promise<KeyUse>;
  serialUsed(issuerId: number, serial: number): Promise<boolean>;
  /** Certificates active at `at`, plus numbers reserved for the issuer's issuances in flight. */
  activeCertificateCount(issuerId: number, at: Date): Promise<number>;
  /** End of validity of the root key the certificate will be signed with (latest active one at submission). */
  rootKeyValidThrough(): Promise<Date | null>;
}

export interface RequestPolicy {
  readonly activeCertificateCap: number;
  readonly maximumValidityMonths: number;
  /** Tolerated clock difference between the issuer's request time and ours. */
  readonly clockSkewSeconds: number;
}

export const DEFAULT_REQUEST_POLICY: RequestPolicy = {
  activeCertificateCap: 4,
  maximumValidityMonths: 36,
  clockSkewSeconds: 300,
};

export interface RequestCheckInput {
  readonly request: RequestUnderCheck;
  readonly lookup: RequestLookup;
  readonly now: Date;
  readonly policy?: RequestPolicy;
}

type Check = (input: Required<RequestCheckInput>) => Promise<TqError | null> | TqError | null;

const fail = (code: ErrorCode, message: string, details?: Record<string, unknown>): TqError => ({ code, message, ...(details === undefined ? {} : { details }) });

/** Offsets of the A1 fields (§8), for errors that point into the record. */
const A1_OFFSET = { issuerId: 1, serial: 5, expiry: 8, publicKey: 13, challenge: 77, requestTime: 93, proofOfPossession: 97 };

const at = (field: keyof typeof A1_OFFSET, error: TqError): TqError => ({ ...error, field, offset: A1_OFFSET[field] });

/** Key fingerprint for out-of-band confirmation: SM3(X‖Y)[0..7], as 16 hex digits. */
export function keyFingerprint(publicKey: Sm2PublicKey): string {
  return Buffer.from(sm3(publicKey.bytes).subarray(0, 8)).toString('hex');
}

const issuerActive: Check = async ({ request, lookup }) => {
  const status = await lookup.issuerStatus(request.issuerId);
  if (status === null) return at('issuerId', fail('ISSUER_UNKNOWN', 'no issuer is registered with this id', { issuerId: request.issuerId }));
  if (status !== 'ACTIVE') return at('issuerId', fail('ISSUER_NOT_ACTIVE', `issuer is ${status.toLowerCase()}`, { status }));
  return null;
};

const challengeValid: Check = async ({ request, lookup, now, policy }) => {
  const challenge = await lookup.challenge(request.challenge);
  if (challenge === null) return at('challenge', fail('CHALLENGE_UNKNOWN', 'the console never issued this challenge'));
  if (challenge.issuerId !== request.issuerId) {
    return at('challenge', fail('CHALLENGE_ISSUER_MISMATCH', 'the challenge was issued to another issuer'));
  }
  if (challenge.usedAt !== null) return at('challenge', fail('CHALLENGE_USED', 'the challenge was already used', { usedAt: challenge.usedAt.toISOString() }));
  if (now.getTime() > challenge.expiresAt.getTime()) {
    return at('challenge', fail('CHALLENGE_EXPIRED', 'the challenge has expired', { expiresAt: challenge.expiresAt.toISOString() }));
  }
  const skew = policy.clockSkewSeconds * 1000;
  const requested = request.requestTime * 1000;
  if (requested < challenge.issuedAt.getTime() - skew || requested > now.getTime() + skew) {
    return at('requestTime', fail('REQUEST_TIME_INVALID', 'request time lies outside the challenge window', {
      requestTime: request.requestTime,
      challengeIssuedAt: challenge.issuedAt.toISOString(),
    }));
  }
  return null;
};

const keyNotKnown: Check = async ({ request, lookup }) => {
  const use = await lookup.keyUse(request.publicKey.bytes);
  const refuse = (code: ErrorCode, message: string) => at('publicKey', fail(code, message));
  if (use.isRootKey) return refuse('KEY_IS_ROOT_KEY', 'the key is a clearing-center root key');
  if (use.certifiedFor?.revoked) return refuse('KEY_REVOKED', 'a certificate for this key was revoked; the key may never be certified again');
  const holders = [...use.requestedBy, ...(use.certifiedFor ? [use.certifiedFor.issuerId] : [])];
  if (holders.some((id) => id !== request.issuerId)) return refuse('KEY_HELD_BY_OTHER_ISSUER', 'the key belongs to another issuer');
  if (use.certifiedFor) return refuse('KEY_ALREADY_CERTIFIED', 'the key is already certified; a renewal needs a fresh key');
  if (use.requestedBy.length > 0) return refuse('KEY_ALREADY_REQUESTED', 'an open request already asks to certify this key');
  return null;
};

const proofOfPossession: Check = ({ request }) =>
  verifyProofOfPossession(request).ok
    ? null
    : at('proofOfPossession', fail('POP_INVALID', 'the proof of possession does not verify with the requested key'));

const serialUnused: Check = async ({ request, lookup }) =>
  (await lookup.serialUsed(request.issuerId, request.serial))
    ? at('serial', fail('SERIAL_USED', 'this issuer already used the serial', { serial: request.serial }))
    : null;

const expiryWindow: Check = async ({ request, lookup, now, policy }) => {
  const { expiry } = request;
  const details = { expiry: { ...expiry } };
  const ahead = monthsBetween(cstMonthOf(now), expiry);
  if (ahead < 1) return at('expiry', fail('EXPIRY_TOO_SOON', 'expiry must be next month or later', details));
  if (ahead > policy.maximumValidityMonths) {
    return at('expiry', fail('EXPIRY_TOO_FAR', `expiry may be at most ${policy.maximumValidityMonths} months ahead`, details));
  }
  const rootValidThrough = await lookup.rootKeyValidThrough();
  if (rootValidThrough === null) return fail('ROOT_KEY_NONE_ACTIVE', 'no active root key can sign this certificate');
  if (expiryMonth.end(expiry).getTime() > rootValidThrough.getTime()) {
    return at('expiry', fail('EXPIRY_BEYOND_ROOT_KEY', 'the certificate would outlive the root key', {
      ...details,
      rootKeyValidThrough: rootValidThrough.toISOString(),
    }));
  }
  return null;
};

const activeCap: Check = async ({ request, lookup, now, policy }) => {
  const active = await lookup.activeCertificateCount(request.issuerId, now);
  return active >= policy.activeCertificateCap
    ? at('issuerId', fail('ACTIVE_CERTIFICATE_CAP', `the issuer already holds ${active} active certificates (cap ${policy.activeCertificateCap})`, {
        active,
        cap: policy.activeCertificateCap,
      }))
    : null;
};

/** Every §8 check, in the order the profile lists them. */
export const SUBMISSION_CHECKS = { issuerActive, challengeValid, keyNotKnown, proofOfPossession, serialUnused, expiryWindow, activeCap } as const;

/**
 * Checks that depend on state which can change between submission and signing; issuance
 * runs them again, inside its reservation transaction, against the chosen root key.
 */
export const ISSUANCE_CHECKS = { issuerActive, keyNotKnown, serialUnused, expiryWindow, activeCap } as const;

async function runChecks(checks: Readonly<Record<string, Check>>, input: RequestCheckInput): Promise<TqError | null> {
  const full = { ...input, policy: input.policy ?? DEFAULT_REQUEST_POLICY };
  for (const check of Object.values(checks)) {
    const failure = await check(full);
    if (failure !== null) return failure;
  }
  return null;
}

/** Runs every §8 check; answers the first failure, or null when the request may be reviewed. */
export const checkSubmission = (input: RequestCheckInput): Promise<TqError | null> => runChecks(SUBMISSION_CHECKS, input);

/** Re-runs the state-dependent checks just before a certificate number is reserved. */
export const checkBeforeIssuance = (input: RequestCheckInput): Promise<TqError | null> => runChecks(ISSUANCE_CHECKS, input);

