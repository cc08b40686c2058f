/** SM3 (GM/T 0004) from node:crypto, native speed. */
import { createHash, hash, type BinaryToTextEncoding } from 'node:crypto';

export function sm3(...parts: Uint8Array[]): Uint8Array {
  // One-shot hash() skips the Hash object: about a third less per call for short inputs.
  if (parts.length === 1) return digest('sm3', parts[0]);
  const h = sm3Hasher();
  for (const p of parts) h.update(p);
  return h.digest();
}

/** SM3 over parts given one at a time (a caller that awaits between them). */
export function sm3Hasher(): { update(part: Uint8Array): void; digest(): Uint8Array } {
  const h = createHash('sm3');
  return {
    update: (part) => void h.update(part),
    digest: () => new Uint8Array(h.digest()),
  };
}

// @types/node lists only its alias 'binary', which node:crypto normalises on a slower path.
const LATIN1 = 'latin1' as BinaryToTextEncoding;

/**
 * A one-shot digest of node:crypto, taken as a latin1 string: a Buffer result costs an
 * ArrayBuffer outside the heap per call, as much again as hashing a short input (65 bytes: 3.0
 * against 1.3 µs of CPU, GC threads included; 350 bytes: 4.1 against 2.5), where a string and a
 * 32-byte Uint8Array live on the heap. The audit chain, the log's tree and the export verifier
 * take millions of these.
 */
export function digest(algorithm: 'sm3' | 'sha256', data: Uint8Array): Uint8Array {
  const text = hash(algorithm, data, LATIN1);
  return latin1Bytes(text, new Uint8Array(text.length), 0);
}

/** The digest written to out[at…] (32 bytes for SM3 and SHA-256). */
export function digestInto(algorithm: 'sm3' | 'sha256', data: Uint8Array, out: Uint8Array, at: number): void {
  latin1Bytes(hash(algorithm, data, LATIN1), out, at);
}

function latin1Bytes(text: string, out: Uint8Array, at: number): Uint8Array {
  for (let k = 0; k < text.length; k++) out[at + k] = text.charCodeAt(k);
  return out;
}
