/**
 * The key manager: what the CA needs from an HSM, and nothing about certificates. Keys never
 * leave the device; callers name them by CKA_ID or CKA_LABEL and get back public keys and
 * signatures that the layer has already verified on the host. Every method answers a Result
 * whose error is a TqError with an HSM_* code.
 */
import type { Result } from '../lib/errors';
import type { KeyAlgorithm } from './profile';

export type { KeyAlgorithm };

/** A key named by its CKA_ID (preferred: unique by construction) or its CKA_LABEL. */
export type KeySelector = { readonly id: Uint8Array } | { readonly label: string };

export interface GenerateKeyRequest {
  readonly label: string;
  /** CKA_ID; 16 random bytes when absent. */
  readonly id?: Uint8Array;
  readonly algorithm: KeyAlgorithm;
}

export interface KeyInfo {
  readonly label: string;
  readonly id: Uint8Array;
  readonly algorithm: KeyAlgorithm;
  /** Uncompressed X ‖ Y, 64 bytes. */
  readonly publicKey: Uint8Array;
}

export interface SignOptions {
  /** SM2 signer ID for Z; default 1234567812345678. P-256 takes none. */
  readonly signerId?: Uint8Array;
}

export interface MechanismStatus {
  readonly role: 'keyPairGen' | 'sign';
  readonly name: string;
  readonly code: string;
  readonly present: boolean;
  /** The signing mechanism the layer uses (the first present one in order of preference). */
  readonly selected?: boolean;
}

export interface HealthReport {
  readonly module: {
    readonly path: string;
    readonly manufacturer: string;
    readonly description: string;
    readonly libraryVersion: string;
    readonly cryptokiVersion: string;
  };
  readonly token: {
    readonly label: string;
    readonly manufacturer: string;
    readonly model: string;
    readonly serialNumber: string;
  };
  readonly profile: string;
  readonly algorithm: KeyAlgorithm;
  readonly mechanisms: readonly MechanismStatus[];
  readonly sessions: { readonly size: number; readonly open: number; readonly inUse: number };
  /** Reconnections (finalize, initialize, log in) this connection completed since it opened. */
  readonly reconnects: number;
  /** The canary key signed a random message and the host verified it. */
  readonly canary: { readonly label: string; readonly latencyMs: number };
}

export interface KeyManager {
  generateKey(request: GenerateKeyRequest): Promise<Result<KeyInfo>>;
  findKey(selector: KeySelector): Promise<Result<KeyInfo>>;
  listKeys(): Promise<Result<KeyInfo[]>>;
  publicKey(selector: KeySelector): Promise<Result<Uint8Array>>;
  /** SM2: r ‖ s over e = SM3(Z ‖ message); P-256: ECDSA-SHA-256 r ‖ s. Verified before it is returned. */
  sign(selector: KeySelector, message: Uint8Array, options?: SignOptions): Promise<Result<Uint8Array>>;
  destroyKey(selector: KeySelector): Promise<Result<void>>;
  /** Canary sign-and-verify with a dedicated key (created on first use), plus module and token facts. */
  health(): Promise<Result<HealthReport>>;
  /** Waits for the calls under way, closes the sessions, logs out and finalizes the module when no one else uses it. */
  close(): Promise<void>;
}
