/**
 * The issuer's key kept in its own PKCS#11 token (`--pkcs11 <module>`): generated there, never
 * exported, named by its label. The HSM layer knows keys and nothing of certificates, which is all
 * this needs. The token draws keys at random, so one with odd Y (which a certificate cannot carry,
 * TQ-CERT-1 §2) is destroyed and drawn again.
 */
import { readFileSync } from 'node:fs';
import { Code, err, ok, type Result } from '../../errors';
import { sm2 } from '../../crypto/sm2';
import type { KeyManager } from '../../../hsm/keyManager';
import { openPkcs11KeyManager } from '../../../hsm/pkcs11KeyManager';
import { loadProfile } from '../../../hsm/profile';
import { generateFileKey, openFileKey, type IssuerKey } from './keys';

export interface Pkcs11Token {
  /** The PKCS#11 library. */
  readonly module: string;
  readonly tokenLabel: string;
  /** A file holding the user PIN (never on the command line, where `ps` shows it). */
  readonly pinFile: string;
  /** The vendor profile (hsm/profiles): key type and mechanisms. */
  readonly profile: string;
}

/** Even-Y draws before giving up: each is a coin toss, so 64 failures mean a broken token. */
const DRAWS = 64;

/** Runs `use` with the token open, and closes it after. */
export async function withToken<T>(token: Pkcs11Token, use: (keys: KeyManager) => Promise<Result<T>>): Promise<Result<T>> {
  const profile = loadProfile(token.profile);
  if (!profile.ok) return profile;
  let pin: string;
  try {
    pin = readFileSync(token.pinFile, 'utf8').trim();
  } catch (e) {
    return err('CLIENT_KEY_INVALID', `${token.pinFile}: ${(e as Error).message}`, { field: 'pinFile' });
  }
  const opened = await openPkcs11KeyManager({ modulePath: token.module, tokenLabel: token.tokenLabel, pin, profile: profile.value, poolSize: 1 });
  if (!opened.ok) return opened;
  try {
    return await use(opened.value);
  } finally {
    await opened.value.close();
  }
}

const tokenKey = (keys: KeyManager, label: string, publicKey: Uint8Array): Result<IssuerKey> => {
  const parsed = sm2.publicKeyFromBytes(publicKey, 'publicKey');
  if (!parsed.ok) return parsed;
  if ((parsed.value.y & 1n) !== 0n) return err('CLIENT_KEY_INVALID', `the token's key ${label} has odd Y, which a certificate cannot carry`, { field: 'key' });
  return ok({ publicKey: parsed.value, reference: `pkcs11:${label}`, sign: (message) => keys.sign({ label }, message) });
};

/** A new key labelled `label` in the token; a label in use is refused (a key is certified once). */
export async function generateTokenKey(keys: KeyManager, label: string): Promise<Result<IssuerKey>> {
  const existing = await keys.findKey({ label });
  if (existing.ok) return err('CLIENT_KEY_EXISTS', `the token holds a key labelled ${label} already`, { field: 'label' });
  if (existing.error.code !== Code.HSM_KEY_NOT_FOUND) return existing;
  for (let draw = 0; draw < DRAWS; draw++) {
    const made = await keys.generateKey({ label, algorithm: 'sm2' });
    if (!made.ok) return made;
    if ((made.value.publicKey[63]! & 1) === 0) return tokenKey(keys, label, made.value.publicKey);
    const destroyed = await keys.destroyKey({ id: made.value.id });
    if (!destroyed.ok) return destroyed;
  }
  return err('CLIENT_KEY_INVALID', `the token gave ${DRAWS} keys with odd Y in a row`, { field: 'pkcs11' });
}

/** The token's key labelled `label`. */
export async function openTokenKey(keys: KeyManager, label: string): Promise<Result<IssuerKey>> {
  const found = await keys.findKey({ label });
  return found.ok ? tokenKey(keys, label, found.value.publicKey) : found;
}

/** Where the issuer's keys live: files (named by path) or a PKCS#11 token (named by label). */
export interface KeyStore {
  generate(name: string): Promise<Result<IssuerKey>>;
  open(name: string): Promise<Result<IssuerKey>>;
}

/** Runs `use` with the key store: `token` when given (opened for the run), else key files. */
export function withKeyStore<T>(token: Pkcs11Token | null, use: (store: KeyStore) => Promise<Result<T>>): Promise<Result<T>> {
  if (token === null) return use({ generate: async (path) => generateFileKey(path), open: async (path) => openFileKey(path) });
  return withToken(token, (keys) => use({ generate: (label) => generateTokenKey(keys, label), open: (label) => openTokenKey(keys, label) }));
}
