/**
 * The terminal's certificate check (TQ-CERT-1 §2): structure, Y recovery by the even-Y rule,
 * the root signature over M_cert with the default signer ID, then the expiry at `at`.
 * Pure: the time is an input.
 *
 * A terminal verifies a certificate once, at load, and caches X, Y (§2); a scan then costs two
 * SM2 verifications. The VerifiedIssuerCertificate values this module returns are remembered
 * with the root key that verified them, so passing one back under the same root skips the
 * root signature; a value built elsewhere, or a different root, is verified again.
 */
import type { Sm2PublicKey } from '../crypto/sm2';
import { equal } from '../bytes';
import { err, ok, type Result } from '../errors';
import { expiryMonth } from './expiry';
import { issuerCertificate, ROOT_SIGNATURE_OFFSET, type IssuerCertificate } from './issuerCertificate';
import { parseInput } from './structure';
import { publicKeyOf, verifySignature, type VerificationKey } from './verificationKey';

export interface VerifiedIssuerCertificate {
  readonly certificate: IssuerCertificate;
  /** The issuer key (X from the certificate, even Y), to cache for QR verification. */
  readonly issuerKey: Sm2PublicKey;
}

export type CertificateInput = Uint8Array | IssuerCertificate | VerifiedIssuerCertificate;

/** Results of this module → X‖Y of the root key that verified them. */
const verifiedUnder = new WeakMap<object, Uint8Array>();

function decodeInput(certificate: CertificateInput): Result<IssuerCertificate> {
  return parseInput(!(certificate instanceof Uint8Array) && 'issuerKey' in certificate ? certificate.certificate : certificate, issuerCertificate);
}

/** Structure and root signature, without the time check (a terminal does this once at load). */
export function verifyCertificateSignature(certificate: CertificateInput, rootKey: VerificationKey): Result<VerifiedIssuerCertificate> {
  const root = publicKeyOf(rootKey).bytes;
  const verifiedRoot = verifiedUnder.get(certificate);
  if (verifiedRoot && equal(verifiedRoot, root)) return ok(certificate as VerifiedIssuerCertificate);
  const decoded = decodeInput(certificate);
  return decoded.ok ? verifyDecodedCertificateSignature(decoded.value, rootKey) : decoded;
}

/**
 * verifyCertificateSignature for a certificate this module's own decoder produced (a bundle's A3s),
 * without parsing it a second time: Y recovery is a modular square root per certificate.
 */
export function verifyDecodedCertificateSignature(cert: IssuerCertificate, rootKey: VerificationKey): Result<VerifiedIssuerCertificate> {
  const root = publicKeyOf(rootKey).bytes;
  if (!verifySignature(rootKey, issuerCertificate.signedData(cert), cert.rootSignature)) {
    return err('SIGNATURE_INVALID', 'the root signature over M_cert does not verify with this root key', {
      field: 'rootSignature',
      offset: ROOT_SIGNATURE_OFFSET,
    });
  }
  // Frozen, so what was verified is what a later scan uses.
  const verified: VerifiedIssuerCertificate = Object.freeze({
    certificate: Object.freeze({ ...cert, expiry: Object.freeze({ ...cert.expiry }), rootSignature: cert.rootSignature.slice() }),
    issuerKey: cert.publicKey,
  });
  verifiedUnder.set(verified, root.slice());
  return ok(verified);
}

/** Verification times come from callers; an Invalid Date would compare false everywhere and pass every check. */
export function checkTime(at: Date): Result<Date> {
  return at instanceof Date && !Number.isNaN(at.getTime())
    ? ok(at)
    : err('TIME_INVALID', 'the verification time is not a valid Date', { field: 'at', details: { at: String(at) } });
}

export function checkCertificateExpiry(cert: IssuerCertificate, at: Date): Result<IssuerCertificate> {
  const time = checkTime(at);
  if (!time.ok) return time;
  if (expiryMonth.isExpired(cert.expiry, at)) {
    const end = expiryMonth.end(cert.expiry);
    return err('CERT_EXPIRED', `the certificate was valid through ${end.toISOString()} (end of ${cert.expiry.month}/${cert.expiry.year} CST)`, {
      field: 'expiry',
      offset: 1,
      details: { validThrough: end.toISOString(), at: at.toISOString() },
    });
  }
  return ok(cert);
}

export function verifyIssuerCertificate(
  certificate: CertificateInput,
  rootKey: VerificationKey,
  at: Date,
): Result<VerifiedIssuerCertificate> {
  const verified = verifyCertificateSignature(certificate, rootKey);
  if (!verified.ok) return verified;
  const current = checkCertificateExpiry(verified.value.certificate, at);
  return current.ok ? verified : current;
}
