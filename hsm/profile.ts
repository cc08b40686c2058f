/**
 * Vendor profiles: which PKCS#11 codes a device family uses for its key type, key generation and
 * signing, as data (hsm/profiles/*.json). A profile is parsed once into typed values here; the
 * PKCS#11 layer checks it against the token's mechanism list at start-up.
 */
import { readFileSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { parseHex } from '../lib/bytes';
import { err, ok, type Result } from '../lib/errors';
import { HsmErrorCode } from './errors';
import luna from './profiles/luna.json';
import p256 from './profiles/p256.json';
import sansec from './profiles/sansec.json';
import softtoken from './profiles/softtoken.json';
import tass from './profiles/tass.json';

export type KeyAlgorithm = 'sm2' | 'p256';

/**
 * What the device is given to sign:
 * - `digest`: the host's digest (SM2: e = SM3(Z ‖ M) with Z computed on the host; P-256: SHA-256(M));
 * - `message-with-id`: the message, the device computes Z and e, the signer ID is the mechanism parameter;
 * - `message`: the message, the device hashes it without an ID parameter (SM2: fixed default ID only).
 */
export type SignInput = 'digest' | 'message-with-id' | 'message';
export type SignatureOutput = 'raw' | 'der';

export interface SignMechanism {
  readonly name: string;
  readonly code: number;
  readonly input: SignInput;
  readonly output: SignatureOutput;
}

export interface VendorProfile {
  readonly name: string;
  readonly description: string;
  readonly algorithm: KeyAlgorithm;
  readonly keyType: number;
  readonly keyPairGen: { readonly name: string; readonly code: number };
  /** DER OID of the curve, the CKA_EC_PARAMS of generated keys. */
  readonly ecParams: Uint8Array;
  /** In the profile's order of preference; the layer uses the first one the token lists. */
  readonly sign: readonly SignMechanism[];
  /** Boolean policy attributes; the layer adds class, key type, ID, label and EC params itself. */
  readonly publicKeyTemplate: readonly { type: number; value: boolean }[];
  readonly privateKeyTemplate: readonly { type: number; value: boolean }[];
}

const BUILT_IN: Record<string, unknown> = { luna, p256, sansec, softtoken, tass };
export const BUILT_IN_PROFILES: readonly string[] = Object.keys(BUILT_IN);

/** Attributes the layer owns; a profile that sets them would contradict the key it asks for. */
const LAYER_ATTRIBUTES = new Set(['CKA_CLASS', 'CKA_KEY_TYPE', 'CKA_ID', 'CKA_LABEL', 'CKA_EC_PARAMS']);

type Json = Record<string, unknown>;

/** Loads a built-in profile by name, or a JSON file by path (a name with `/` or ending in `.json`). */
export function loadProfile(nameOrPath: string): Result<VendorProfile> {
  // Own keys only: `in` would take `constructor` or `toString` for a built-in profile.
  if (Object.hasOwn(BUILT_IN, nameOrPath)) return parseProfile(BUILT_IN[nameOrPath]);
  if (!nameOrPath.includes('/') && !nameOrPath.endsWith('.json')) {
    return err(HsmErrorCode.PROFILE_INVALID, `unknown HSM profile "${nameOrPath}"`, {
      field: 'profile',
      details: { known: BUILT_IN_PROFILES },
    });
  }
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (e) {
    return err(HsmErrorCode.PROFILE_INVALID, `cannot read profile file ${nameOrPath}: ${(e as Error).message}`, { field: 'profile' });
  }
  try {
    return parseProfile(JSON.parse(text));
  } catch (e) {
    return err(HsmErrorCode.PROFILE_INVALID, `profile file ${nameOrPath} is not JSON: ${(e as Error).message}`, { field: 'profile' });
  }
}

export function parseProfile(input: unknown): Result<VendorProfile> {
  const fail = (field: string, message: string) => err(HsmErrorCode.PROFILE_INVALID, message, { field });
  if (!isObject(input)) return fail('profile', 'a profile is a JSON object');
  const name = input.name;
  if (typeof name !== 'string' || !/^[a-z0-9-]+$/.test(name)) return fail('name', 'name must be lower-case letters, digits or dashes');
  const algorithm = input.algorithm;
  if (algorithm !== 'sm2' && algorithm !== 'p256') return fail('algorithm', 'algorithm must be "sm2" or "p256"');
  const keyType = code(input.keyType);
  if (keyType === null) return fail('keyType', 'keyType must be a hex code such as "0x80000016"');
  if (!isObject(input.keyPairGen)) return fail('keyPairGen', 'keyPairGen must be {name, code}');
  const genCode = code(input.keyPairGen.code);
  if (genCode === null || typeof input.keyPairGen.name !== 'string') return fail('keyPairGen', 'keyPairGen must be {name, code}');
  const ecParams = typeof input.ecParams === 'string' ? parseHex(input.ecParams, 'ecParams') : null;
  if (!ecParams?.ok || ecParams.value[0] !== 0x06) return fail('ecParams', 'ecParams must be the hex of a DER OBJECT IDENTIFIER');
  if (!Array.isArray(input.sign) || input.sign.length === 0) return fail('sign', 'sign must list at least one mechanism');
  const sign: SignMechanism[] = [];
  for (const [i, m] of input.sign.entries()) {
    const at = `sign[${i}]`;
    if (!isObject(m) || typeof m.name !== 'string') return fail(at, `${at} must be {name, code, input, output}`);
    const c = code(m.code);
    if (c === null) return fail(`${at}.code`, `${at}.code must be a hex code`);
    if (m.input !== 'digest' && m.input !== 'message-with-id' && m.input !== 'message') {
      return fail(`${at}.input`, `${at}.input must be "digest", "message-with-id" or "message"`);
    }
    if (algorithm === 'p256' && m.input === 'message-with-id') return fail(`${at}.input`, 'P-256 signatures take no signer ID');
    if (m.output !== 'raw' && m.output !== 'der') return fail(`${at}.output`, `${at}.output must be "raw" or "der"`);
    sign.push({ name: m.name, code: c, input: m.input, output: m.output });
  }
  const pub = template(input.publicKeyTemplate, 'publicKeyTemplate');
  if (!pub.ok) return pub;
  const priv = template(input.privateKeyTemplate, 'privateKeyTemplate');
  if (!priv.ok) return priv;
  return ok({
    name,
    description: typeof input.description === 'string' ? input.description : '',
    algorithm,
    keyType,
    keyPairGen: { name: input.keyPairGen.name, code: genCode },
    ecParams: ecParams.value,
    sign,
    publicKeyTemplate: pub.value,
    privateKeyTemplate: priv.value,
  });
}

function template(input: unknown, field: string): Result<{ type: number; value: boolean }[]> {
  if (!isObject(input)) return err(HsmErrorCode.PROFILE_INVALID, `${field} must map CKA_ names to booleans`, { field });
  const out: { type: number; value: boolean }[] = [];
  for (const [name, value] of Object.entries(input)) {
    const type = (pkcs11js as unknown as Record<string, unknown>)[name];
    if (!name.startsWith('CKA_') || typeof type !== 'number') {
      return err(HsmErrorCode.PROFILE_INVALID, `${field}: unknown attribute ${name}`, { field: `${field}.${name}` });
    }
    if (LAYER_ATTRIBUTES.has(name)) {
      return err(HsmErrorCode.PROFILE_INVALID, `${field}: ${name} is set by the HSM layer, not the profile`, { field: `${field}.${name}` });
    }
    if (typeof value !== 'boolean') return err(HsmErrorCode.PROFILE_INVALID, `${field}: ${name} must be true or false`, { field: `${field}.${name}` });
    out.push({ type, value });
  }
  return ok(out);
}

function code(v: unknown): number | null {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,8}$/.test(v)) return null;
  return Number.parseInt(v.slice(2), 16);
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const hexCode = (c: number): string => '0x' + c.toString(16).toUpperCase().padStart(8, '0');
