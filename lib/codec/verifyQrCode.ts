/**
 * The terminal's QR check (TQ-CERT-1 §7, checks 1–8 in Figure 7 order: certificate → issuer
 * signature → user signature → data). Pure: the time, the certificate store's answer, the
 * revocation list and the replay memory are inputs.
 *
 * Check 1 is the strict decode; it also parses the user key (prefix 02/03, X < p, on the
 * curve), so a malformed key is refused there rather than at check 5.
 */
import { equal } from '../bytes';
import { sm2, type PreparedVerifier, type Sm2PublicKey } from '../crypto/sm2';
import { err, ok, type Result, type TqError } from '../errors';
import type { IssuerCertificate } from './issuerCertificate';
import { QR_OFFSETS, qrCode, type QrCode } from './qrCode';
import { parseInput, rebase } from './structure';
import { checkCertificateExpiry, checkTime, verifyCertificateSignature, type CertificateInput } from './verifyIssuerCertificate';
import { verifySignature, type VerificationKey } from './verificationKey';

export const DEFAULT_SKEW_SECONDS = 30;
export const MAX_VALIDITY_SECONDS = 300;

/**
 * Check 8: the terminal's memory of accepted codes. `seen` answers whether `key` (field 19 as
 * carried) was already accepted, and otherwise remembers it until `until` (generation time +
 * validity + skew), after which the code fails check 6 anyway and may be forgotten.
 */
export interface ReplayMemory {
  seen(key: Uint8Array, until: Date): boolean;
}

export interface QrVerificationInput {
  readonly rootKey: VerificationKey;
  /**
   * The certificate the terminal holds under `certificateNumber` (check 2). Pass the value
   * verifyIssuerCertificate returned at load to skip the root signature on every scan.
   */
  readonly certificate: CertificateInput;
  /** The issuer the certificate record binds `certificateNumber` to (check 3). */
  readonly issuerId: number;
  readonly certificateNumber: number;
  readonly at: Date;
  /** Terminal clock skew S, default 30 s. */
  readonly skewSeconds?: number;
  /** Revoked certificate numbers from the current A4 list. */
  readonly revokedNumbers?: ReadonlySet<number>;
  /** Check 7: the fare in fen (metro entry: the minimum fare), when known. */
  readonly fare?: number;
  readonly replay?: ReplayMemory;
  /**
   * A PreparedVerifier for the certificate's key, for callers that verify many codes of one
   * issuer (about 4× faster per issuer signature; PreparedVerifier says what preparing costs). Used only
   * when it is for that key, so a wrong one can slow a check down but never change its answer.
   */
  readonly issuerVerifier?: PreparedVerifier;
}

export interface VerifiedQrCode {
  readonly qr: QrCode;
  readonly certificate: IssuerCertificate;
  readonly issuerKey: Sm2PublicKey;
}

const at = (field: keyof typeof QR_OFFSETS, details?: Record<string, unknown>) => ({ field, offset: QR_OFFSETS[field], details });

/** The terminal's own parameters, checked before the code; answers the skew S in seconds. */
function checkParameters(ctx: QrVerificationInput): Result<number> {
  const time = checkTime(ctx.at);
  if (!time.ok) return time;
  const skew = ctx.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  if (!Number.isFinite(skew) || skew < 0) return err('VALUE_RANGE', `skew must be a non-negative number of seconds, got ${skew}`, { field: 'skewSeconds' });
  if (ctx.fare !== undefined && !(Number.isSafeInteger(ctx.fare) && ctx.fare >= 0)) {
    return err('VALUE_RANGE', `fare must be a non-negative integer number of fen, got ${ctx.fare}`, { field: 'fare' });
  }
  return ok(skew);
}

export function verifyQrCode(input: Uint8Array | QrCode, ctx: QrVerificationInput): Result<VerifiedQrCode> {
  const parameters = checkParameters(ctx);
  if (!parameters.ok) return parameters;
  const skew = parameters.value;

  // 1. Structure.
  const decoded = parseInput(input, qrCode);
  if (!decoded.ok) return decoded;
  const qr = decoded.value;

  // 2. Field 4 names the certificate the terminal holds; the certificate verifies under the root.
  if (qr.certificateNumber !== ctx.certificateNumber) {
    return err('CERT_UNKNOWN', `certificate number ${qr.certificateNumber} is not the one held (${ctx.certificateNumber})`, at('certificateNumber'));
  }
  const loaded = verifyCertificateSignature(ctx.certificate, ctx.rootKey);
  if (!loaded.ok) return certificateError(loaded.error);
  const { certificate, issuerKey } = loaded.value;

  // 3. Not revoked, not expired, bound to the issuer in field 7.
  if (ctx.revokedNumbers?.has(qr.certificateNumber)) {
    return err('CERT_REVOKED', `certificate ${qr.certificateNumber} is revoked`, at('certificateNumber'));
  }
  const current = checkCertificateExpiry(certificate, ctx.at);
  if (!current.ok) return certificateError(current.error);
  if (qr.issuerId !== ctx.issuerId) {
    return err('ISSUER_MISMATCH', `issuer ${qr.issuerId} is not the certificate's issuer ${ctx.issuerId}`, at('issuerId'));
  }

  // 4. Issuer signature over bytes 8–89.
  const issuerVerifier = ctx.issuerVerifier && equal(ctx.issuerVerifier.publicKey.bytes, issuerKey.bytes) ? ctx.issuerVerifier : issuerKey;
  if (!verifySignature(issuerVerifier, qrCode.issuerSignatureInput(qr), qr.issuerSignature)) {
    return err('SIGNATURE_INVALID', 'the issuer signature (field 16) does not verify with the certificate key', at('issuerSignature'));
  }

  // 5. User signature over bytes 0–160 (the key itself was checked at decode).
  if (!sm2.verify(qrCode.userSignatureInput(qr), qr.userSignature, qr.userKey)) {
    return err('SIGNATURE_INVALID', 'the user signature (field 19) does not verify with the user key (field 13)', at('userSignature'));
  }

  // 6. Time.
  const now = ctx.at.getTime() / 1000;
  if (qr.validitySeconds < 1 || qr.validitySeconds > MAX_VALIDITY_SECONDS) {
    return err('QR_VALIDITY_RANGE', `validity ${qr.validitySeconds} s is not 1–${MAX_VALIDITY_SECONDS} s`, at('validitySeconds'));
  }
  if (now > qr.authorizationExpiry) {
    return err('QR_AUTHORIZATION_EXPIRED', 'the authorization expiry (field 14) has passed', at('authorizationExpiry'));
  }
  const notBefore = qr.generationTime - skew;
  const notAfter = qr.generationTime + qr.validitySeconds + skew;
  if (now < notBefore) {
    return err('QR_NOT_YET_VALID', `generated ${qr.generationTime - now} s in the future (skew ${skew} s)`, at('generationTime', { notBefore }));
  }
  if (now > notAfter) {
    return err('QR_EXPIRED', `expired ${now - notAfter} s ago (validity ${qr.validitySeconds} s + skew ${skew} s)`, at('generationTime', { notAfter }));
  }

  // 7. Fare within the per-transaction limit.
  if (ctx.fare !== undefined && ctx.fare > qr.transactionLimit) {
    return err('FARE_OVER_LIMIT', `fare ${ctx.fare} fen exceeds the limit of ${qr.transactionLimit} fen`, at('transactionLimit', { fare: ctx.fare }));
  }

  // 8. Not accepted before within its validity.
  if (ctx.replay?.seen(qrCode.replayKey(qr), new Date(notAfter * 1000))) {
    return err('QR_REPLAYED', 'this code was already accepted', at('userSignature'));
  }
  return ok({ qr, certificate, issuerKey });
}

/** Certificate faults are reported in the certificate's own coordinates. */
const certificateError = (error: TqError): { ok: false; error: TqError } => ({ ok: false, error: rebase(error, 0, 'certificate') });
