/** A key signatures are checked against: a plain key, or a PreparedVerifier for keys seen often. */
import { sm2, type PreparedVerifier, type Sm2PublicKey } from '../crypto/sm2';

export type VerificationKey = Sm2PublicKey | PreparedVerifier;

/** The default signer ID (§5) is the only one TQ-CERT-1 uses. */
export function verifySignature(key: VerificationKey, message: Uint8Array, signature: Uint8Array): boolean {
  return 'verify' in key ? key.verify(message, signature) : sm2.verify(message, signature, key);
}

export const publicKeyOf = (key: VerificationKey): Sm2PublicKey => ('verify' in key ? key.publicKey : key);
