/**
 * The issuer's certificate key: an SM2 key with even Y (TQ-CERT-1 §2: the certificate carries X
 * only and a terminal recovers the even Y), either in a file only its owner may read, or in the
 * issuer's own PKCS#11 token (keys.pkcs11.ts). A key is certified once, so every request uses a
 * fresh one; the file is created exclusively and never overwritten.
 */
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { parseHex, toHex } from '../../bytes';
import { sm2, type Sm2PublicKey } from '../../crypto/sm2';
import { sm3 } from '../../crypto/sm3';
import { err, ok, type Result } from '../../errors';

/** What a request needs of a key: its public half and a signature (default signer ID) over a message. */
export interface IssuerKey {
  readonly publicKey: Sm2PublicKey;
  /** Where the key lives, as `--key` names it again: a file path, or pkcs11:<label>. */
  readonly reference: string;
  sign(message: Uint8Array): Promise<Result<Uint8Array>>;
}

const FORMAT = 'tqca-issuer-key-1';

/** SM3(X‖Y)[0..7] in hex, what the officer reads to the center (TQ-CERT-1 §8). */
export const fingerprintOf = (publicKey: Sm2PublicKey): string => toHex(sm3(publicKey.bytes).subarray(0, 8));

/** A fresh SM2 private key whose public point has even Y (half of all keys: draw again otherwise). */
export function evenYPrivateKey(): Uint8Array {
  for (;;) {
    const d = sm2.generatePrivateKey();
    if ((sm2.publicKeyFromPrivate(d).y & 1n) === 0n) return d;
  }
}

const fileKey = (path: string, d: Uint8Array): IssuerKey => ({
  publicKey: sm2.publicKeyFromPrivate(d),
  reference: path,
  sign: async (message) => ok(sm2.sign(message, d)),
});

/** Writes a new key to `path`, readable and writable by its owner only; an existing file is never replaced. */
export function generateFileKey(path: string): Result<IssuerKey> {
  const d = evenYPrivateKey();
  const publicKey = sm2.publicKeyFromPrivate(d);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EEXIST'
      ? err('CLIENT_KEY_EXISTS', `${path} exists: a key is certified once, so a new one goes to a new file`, { field: 'out' })
      : err('CLIENT_KEY_INVALID', `${path}: ${(e as Error).message}`, { field: 'out' });
  }
  try {
    // The umask cannot widen 0600, but a file system may ignore the mode at creation.
    chmodSync(path, 0o600);
    writeSync(fd, `${JSON.stringify({ format: FORMAT, privateKey: toHex(d), publicKey: toHex(publicKey.bytes) }, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  return ok(fileKey(path, d));
}

/** Reads a key file written by generateFileKey; refused when others may read it (as ssh refuses such keys). */
export function openFileKey(path: string): Result<IssuerKey> {
  const bad = (why: string) => err('CLIENT_KEY_INVALID', `${path}: ${why}`, { field: 'key' });
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) return bad('the key file is readable by others than its owner (chmod 600)');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return bad((e as Error).message);
  }
  let parsed: { format?: unknown; privateKey?: unknown; publicKey?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    return bad('not a key file (JSON)');
  }
  if (parsed.format !== FORMAT || typeof parsed.privateKey !== 'string' || typeof parsed.publicKey !== 'string') return bad(`not a ${FORMAT} key file`);
  const d = parseHex(parsed.privateKey, 'privateKey');
  if (!d.ok || d.value.length !== 32) return bad('the private key is not 32 bytes of hex');
  const key = fileKey(path, d.value);
  if (toHex(key.publicKey.bytes) !== parsed.publicKey.toLowerCase()) return bad('the public key does not belong to the private key');
  if ((key.publicKey.y & 1n) !== 0n) return bad('the key has odd Y, which a certificate cannot carry (TQ-CERT-1 §2)');
  return ok(key);
}
