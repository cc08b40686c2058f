/**
 * The keys the CA needs from an HSM, declared by the CA so that it depends on no HSM code: generate
 * a root key, find one by label, sign with one, destroy one a failed ceremony made, and ask whether
 * the device works. hsm/'s KeyManager
 * satisfies this structurally; lib/runtime wires it in.
 */
import type { Result } from '../errors';

/** A key named by its CKA_ID (how the CA stores root keys) or its CKA_LABEL. */
export type KeyName = { readonly id: Uint8Array } | { readonly label: string };

export interface CaKey {
  readonly label: string;
  readonly id: Uint8Array;
  /** Uncompressed X ‖ Y, 64 bytes. */
  readonly publicKey: Uint8Array;
}

export interface CaKeys {
  generateKey(request: { readonly label: string; readonly algorithm: 'sm2' }): Promise<Result<CaKey>>;
  /** Fails with HSM_KEY_NOT_FOUND when no key has the name. */
  findKey(name: KeyName): Promise<Result<CaKey>>;
  /** SM2 r ‖ s over SM3(Z ‖ message) with the default signer ID, verified before it is returned. */
  sign(name: KeyName, message: Uint8Array): Promise<Result<Uint8Array>>;
  /** Removes a key the CA made and will not record (a failed ceremony's). */
  destroyKey(name: KeyName): Promise<Result<void>>;
  /** A canary signature: ok when the device signs and the signature verifies; the CA reads only its latency. */
  health(): Promise<Result<{ readonly canary: { readonly label: string; readonly latencyMs: number } }>>;
}
