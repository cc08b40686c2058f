/**
 * Host-side cryptography for keys held in a token: parse the token's public point once into a
 * verifier, compute what the device signs, and check every signature before anyone sees it.
 * SM2 uses lib/crypto/sm2.ts; P-256 (standard tokens only) uses node:crypto.
 */
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { concat } from '../lib/bytes';
import { err, ok, type Result } from '../lib/errors';
import { sm2, type PreparedVerifier } from '../lib/crypto/sm2';
import { sm3 } from '../lib/crypto/sm3';
import { HsmErrorCode } from './errors';
import type { KeyAlgorithm } from './profile';

/** A public key read from a token, ready to verify its signatures. */
export interface HostKey {
  readonly algorithm: KeyAlgorithm;
  /** Uncompressed X ‖ Y, 64 bytes. */
  readonly xy: Uint8Array;
  /** What a `digest`-input mechanism signs: SM2 e = SM3(Z ‖ M) with Z for `signerId`; P-256 SHA-256(M). */
  digest(message: Uint8Array, signerId?: Uint8Array): Uint8Array;
  /** Checks r ‖ s over the digest returned by `digest` for the same message and signer ID. */
  verifyDigest(digest: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** CKA_EC_POINT comes DER-wrapped (`04 41 04 X Y`) from most tokens, raw (`04 X Y`) from some. */
export function ecPointXy(point: Uint8Array): Result<Uint8Array> {
  if (point.length === 67 && point[0] === 0x04 && point[1] === 0x41 && point[2] === 0x04) return ok(point.subarray(3));
  if (point.length === 65 && point[0] === 0x04) return ok(point.subarray(1));
  return err(HsmErrorCode.KEY_INVALID, `CKA_EC_POINT is neither 04‖X‖Y nor its DER OCTET STRING (${point.length} bytes)`, {
    field: 'CKA_EC_POINT',
    details: { length: point.length },
  });
}

export function hostKey(algorithm: KeyAlgorithm, xy: Uint8Array): Result<HostKey> {
  return algorithm === 'sm2' ? sm2HostKey(xy) : p256HostKey(xy);
}

function sm2HostKey(xy: Uint8Array): Result<HostKey> {
  const pub = sm2.publicKeyFromBytes(xy, 'CKA_EC_POINT');
  if (!pub.ok) return err(HsmErrorCode.KEY_INVALID, `the token's SM2 public key is invalid: ${pub.error.message}`, { field: 'CKA_EC_POINT' });
  // Root keys sign many times: precomputed tables and the default Z pay for themselves, built on
  // the first signature, so reading or listing keys costs no tables.
  let verifier: PreparedVerifier | undefined;
  const prepared = () => (verifier ??= sm2.prepareVerifier(pub.value));
  return ok({
    algorithm: 'sm2',
    xy: pub.value.bytes,
    digest: (message, signerId) => sm3(prepared().z(signerId), message),
    verifyDigest: (e, _message, signature) => prepared().verifyDigest(e, signature),
  });
}

function p256HostKey(xy: Uint8Array): Result<HostKey> {
  if (xy.length !== 64) return err(HsmErrorCode.KEY_INVALID, 'a P-256 public key is 64 bytes X ‖ Y', { field: 'CKA_EC_POINT' });
  let key: KeyObject;
  try {
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
    key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64(xy.subarray(0, 32)), y: b64(xy.subarray(32)) }, format: 'jwk' });
  } catch (e) {
    return err(HsmErrorCode.KEY_INVALID, `the token's P-256 public key is invalid: ${(e as Error).message}`, { field: 'CKA_EC_POINT' });
  }
  return ok({
    algorithm: 'p256',
    xy: concat(xy),
    digest: (message) => new Uint8Array(createHash('sha256').update(message).digest()),
    // node:crypto hashes the message itself; the digest argument is what the device signed.
    verifyDigest: (_digest, message, signature) =>
      signature.length === 64 && nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature),
  });
}
