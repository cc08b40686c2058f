/** SM3 (GM/T 0004) from node:crypto, native speed. */
import { createHash } from 'node:crypto';

export function sm3(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sm3');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
