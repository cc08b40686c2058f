/**
 * sm-crypto 0.5.8 (jsbn, no code shared with @noble/curves) as an independent SM2 implementation
 * for cross-checks, behind the byte-oriented shapes our own module uses: X ‖ Y keys, r ‖ s signatures.
 * Byte input is passed as arrays: sm-crypto reads a string message as UTF-8 text.
 */
import smCrypto from 'sm-crypto';
import { parseHex, toHex } from '../../lib/bytes';
import { DEFAULT_SIGNER_ID } from '../../lib/crypto/sm2';
import { unwrap } from '../../lib/errors';

const userId = new TextDecoder().decode(DEFAULT_SIGNER_ID);

/** GM/T signature (e = SM3(Z ‖ M), default ID); sm-crypto derives the public key for Z itself. */
export function smCryptoSign(message: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const hex = smCrypto.sm2.doSignature(Array.from(message), toHex(privateKey), { hash: true, der: false, userId });
  return unwrap(parseHex(hex, 'signature'));
}

/** publicKey is X ‖ Y (64 bytes); the signature r ‖ s (64 bytes). */
export function smCryptoVerify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return smCrypto.sm2.doVerifySignature(Array.from(message), toHex(signature), '04' + toHex(publicKey), {
    hash: true,
    der: false,
    userId,
  });
}

/** X ‖ Y of d·G as sm-crypto computes it. */
export function smCryptoPublicKey(privateKey: Uint8Array): Uint8Array {
  return unwrap(parseHex(smCrypto.sm2.getPublicKeyFromPrivateKey(toHex(privateKey)).slice(2), 'publicKey'));
}
