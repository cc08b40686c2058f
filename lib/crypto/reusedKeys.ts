/**
 * Verification keys that come back call after call (a root key in every publication, the audit
 * and witness keys over every note) get a prepared verifier (precomputed tables, sm2.ts) from their
 * `from`-th use in the process on: the tables cost tens of plain verifications once, and each
 * verification after costs about a fifth. Keyed by the key's bytes, so a key decoded afresh each
 * time is still the same key; at most `limit` keys are held (a test run's thousands of random keys
 * must not pile up).
 */
import { toHex } from '../bytes';
import { sm2, type PreparedVerifier, type Sm2PublicKey } from './sm2';

export type VerificationKey = Sm2PublicKey | PreparedVerifier;

export function reusedKeyVerifiers(options: { readonly from: number; readonly limit?: number }): (publicKey: Sm2PublicKey) => VerificationKey {
  const { from, limit = 16 } = options;
  const held = new Map<string, number | PreparedVerifier>();
  return (publicKey) => {
    const id = toHex(publicKey.bytes);
    const known = held.get(id);
    if (typeof known === 'object') return known;
    const uses = (known ?? 0) + 1;
    if (known === undefined && held.size >= limit) held.delete(held.keys().next().value!);
    const key = uses >= from ? sm2.prepareVerifier(publicKey) : uses;
    held.set(id, key);
    return typeof key === 'object' ? key : publicKey;
  };
}

/** One signature over `message` checked with either kind of key. */
export const verifyWith = (key: VerificationKey, message: Uint8Array, signature: Uint8Array): boolean =>
  'verify' in key ? key.verify(message, signature) : sm2.verify(message, signature, key);
