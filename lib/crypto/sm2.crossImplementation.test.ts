/**
 * Every ordered pair of {ours, sm-crypto, OpenSSL CLI}: A signs, B verifies, on fresh keys that
 * include leading-zero d, X and Y; our prepared-key verifier (its own arithmetic and tables) verifies
 * too. A verifier must also reject each signature on a changed message, so a verifier that says
 * "true" to everything fails here.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { opensslPublicKeySpki, opensslSign, opensslVerify, publicKeySpkiDer } from '../../test/support/opensslSm2';
import { smCryptoPublicKey, smCryptoSign, smCryptoVerify } from '../../test/support/smCryptoSm2';
import { sm2TestKeys, type Sm2TestKey } from '../../test/support/sm2TestKeys';
import { toHex } from '../bytes';
import { sm2, type PreparedVerifier } from './sm2';

interface Signed {
  readonly key: Sm2TestKey;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

type SignAll = (keys: readonly Sm2TestKey[], messages: readonly Uint8Array[]) => Uint8Array[];
type VerifyAll = (items: readonly Signed[]) => boolean[];

const signers: Record<'ours' | 'sm-crypto' | 'OpenSSL', SignAll> = {
  ours: (keys, messages) => keys.map((key, i) => sm2.sign(messages[i], key.privateKey)),
  'sm-crypto': (keys, messages) => keys.map((key, i) => smCryptoSign(messages[i], key.privateKey)),
  OpenSSL: (keys, messages) =>
    opensslSign(keys.map((key, i) => ({ privateKey: key.privateKey, publicKey: key.publicKey.bytes, message: messages[i] }))),
};

const preparedVerifiers = new Map<Sm2TestKey, PreparedVerifier>();
const prepared = (key: Sm2TestKey) => preparedVerifiers.get(key) ?? preparedVerifiers.set(key, sm2.prepareVerifier(key.publicKey)).get(key)!;

const verifiers: Record<SignerName | 'ours (prepared key)', VerifyAll> = {
  ours: (items) => items.map(({ key, message, signature }) => sm2.verify(message, signature, key.publicKey)),
  'ours (prepared key)': (items) => items.map(({ key, message, signature }) => prepared(key).verify(message, signature)),
  'sm-crypto': (items) => items.map(({ key, message, signature }) => smCryptoVerify(message, signature, key.publicKey.bytes)),
  OpenSSL: (items) => opensslVerify(items.map(({ key, message, signature }) => ({ publicKey: key.publicKey.bytes, message, signature }))),
};
type SignerName = keyof typeof signers;

const KEYS = 24;
let keys: Sm2TestKey[];
const signedBy = {} as Record<SignerName, Signed[]>;

/** The same message with one bit flipped. */
function tampered(message: Uint8Array): Uint8Array {
  const copy = message.length === 0 ? Uint8Array.of(0) : Uint8Array.from(message);
  copy[randomInt(copy.length)] ^= 1 << randomInt(8);
  return copy;
}

beforeAll(() => {
  keys = sm2TestKeys(KEYS);
  // Lengths around the TQ-CERT-1 inputs (74, 82, 161 bytes) and the empty message.
  const lengths = [0, 1, 74, 82, 161];
  const messages = keys.map((_, i) => new Uint8Array(randomBytes(lengths[i] ?? randomInt(1, 300))));
  for (const name of Object.keys(signers) as SignerName[]) {
    const signatures = signers[name](keys, messages);
    signedBy[name] = keys.map((key, i) => ({ key, message: messages[i], signature: signatures[i] }));
  }
});

describe('SM2 cross-verification', () => {
  it('starts from keys with a leading zero byte in d, X and Y', () => {
    expect(keys).toHaveLength(KEYS);
    expect(keys.find((k) => k.kind === 'leading zero in d')!.privateKey[0]).toBe(0);
    expect(keys.find((k) => k.kind === 'leading zero in X')!.publicKey.bytes[0]).toBe(0);
    expect(keys.find((k) => k.kind === 'leading zero in Y')!.publicKey.bytes[32]).toBe(0);
  });

  it('ours, sm-crypto and OpenSSL derive the same public key from d; OpenSSL writes our SPKI bytes', () => {
    const fromOpenssl = opensslPublicKeySpki(keys.map((k) => k.privateKey));
    keys.forEach((key, i) => {
      expect(toHex(smCryptoPublicKey(key.privateKey))).toBe(toHex(key.publicKey.bytes));
      expect(toHex(fromOpenssl[i])).toBe(toHex(publicKeySpkiDer(key.publicKey.bytes)));
    });
  });

  for (const signer of Object.keys(signers) as SignerName[]) {
    for (const verifier of Object.keys(verifiers) as (keyof typeof verifiers)[]) {
      it(`${signer} signs, ${verifier} verifies`, () => {
        const signed = signedBy[signer];
        const forged = signed.map((s) => ({ ...s, message: tampered(s.message) }));
        const verdicts = verifiers[verifier]([...signed, ...forged]);
        expect(verdicts.slice(0, KEYS), 'genuine signatures').toEqual(signed.map(() => true));
        expect(verdicts.slice(KEYS), 'signatures on a changed message').toEqual(signed.map(() => false));
      });
    }
  }
});
