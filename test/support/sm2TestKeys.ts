/**
 * Fresh SM2 key pairs for cross-checks, including the edge cases where encodings go wrong:
 * a private key d, an X or a Y whose first byte is zero (lost by any code that trims or
 * forgets to left-pad). Found by drawing random keys; about 256 draws per edge case.
 */
import { sm2, type Sm2PublicKey } from '../../lib/crypto/sm2';

export interface Sm2TestKey {
  /** Why this key is in the set: 'd', 'X' or 'Y' has a leading zero byte, or 'random'. */
  readonly kind: 'leading zero in d' | 'leading zero in X' | 'leading zero in Y' | 'random';
  readonly privateKey: Uint8Array;
  readonly publicKey: Sm2PublicKey;
}

function keyPair(privateKey = sm2.generatePrivateKey()) {
  return { privateKey, publicKey: sm2.publicKeyFromPrivate(privateKey) };
}

function drawUntil(found: (privateKey: Uint8Array, publicKey: () => Sm2PublicKey) => boolean) {
  for (;;) {
    const privateKey = sm2.generatePrivateKey();
    let publicKey: Sm2PublicKey | undefined;
    const lazyPublicKey = () => (publicKey ??= sm2.publicKeyFromPrivate(privateKey));
    if (found(privateKey, lazyPublicKey)) return { privateKey, publicKey: lazyPublicKey() };
  }
}

/** `count` keys (at least 3): one of each leading-zero kind, then random keys. */
export function sm2TestKeys(count: number): Sm2TestKey[] {
  if (count < 3) throw new RangeError('need room for the three leading-zero keys');
  return [
    { kind: 'leading zero in d', ...drawUntil((d) => d[0] === 0) },
    { kind: 'leading zero in X', ...drawUntil((_, pub) => pub().bytes[0] === 0) },
    { kind: 'leading zero in Y', ...drawUntil((_, pub) => pub().bytes[32] === 0) },
    ...Array.from({ length: count - 3 }, () => ({ kind: 'random' as const, ...keyPair() })),
  ];
}
