/**
 * Where the HSM is and how to log in, from the environment:
 *
 *   TQCA_PKCS11_MODULE   PKCS#11 library path; unset = the embedded software token
 *   TQCA_TOKEN_LABEL     token label (default `tqca`)
 *   TQCA_HSM_PIN         user PIN, or TQCA_HSM_PIN_FILE naming a file that holds it (not both)
 *   TQCA_HSM_PROFILE     vendor profile: luna | sansec | tass | softtoken | p256 | path to a JSON file
 *   TQCA_HSM_POOL_SIZE   concurrent sessions (default 8); UV_THREADPOOL_SIZE should be at least this
 *   TQCA_HSM_ACQUIRE_TIMEOUT_MS  how long a signer waits for a session (default 10000)
 *
 * The embedded default is the software token (hsm/softtoken) with its store in `.data/token`
 * (TQCA_TOKEN_DIR), label `tqca`, and PINs generated on first run into `.data/secrets/`
 * (mode 0600); TQCA_DATA_DIR moves `.data`. An external module needs an explicit profile and PIN.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../lib/errors';
import { HsmErrorCode } from './errors';
import { loadProfile, type VendorProfile } from './profile';
import { softTokenModulePath } from './softtoken';

export const DEFAULT_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '../.data');
export const DEFAULT_TOKEN_LABEL = 'tqca';

export interface HsmConfig {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly profile: VendorProfile;
  readonly poolSize: number;
  readonly acquireTimeoutMs: number;
  /** Set for the embedded software token: its store, SO PIN, and the environment its module reads. */
  readonly embedded: {
    readonly tokenDir: string;
    readonly soPin: string;
    readonly moduleEnv: Readonly<Record<string, string>>;
  } | null;
}

type Env = Readonly<Record<string, string | undefined>>;

export function resolveHsmConfig(env: Env = process.env): Result<HsmConfig> {
  const dataDir = env.TQCA_DATA_DIR || DEFAULT_DATA_DIR;
  const poolSize = integer(env.TQCA_HSM_POOL_SIZE, 8, 1, 256, 'TQCA_HSM_POOL_SIZE');
  if (!poolSize.ok) return poolSize;
  const acquireTimeoutMs = integer(env.TQCA_HSM_ACQUIRE_TIMEOUT_MS, 10_000, 1, 600_000, 'TQCA_HSM_ACQUIRE_TIMEOUT_MS');
  if (!acquireTimeoutMs.ok) return acquireTimeoutMs;
  const tokenLabel = env.TQCA_TOKEN_LABEL || DEFAULT_TOKEN_LABEL;
  const common = { tokenLabel, poolSize: poolSize.value, acquireTimeoutMs: acquireTimeoutMs.value };

  const external = env.TQCA_PKCS11_MODULE;
  if (external) {
    if (!env.TQCA_HSM_PROFILE) {
      return err(HsmErrorCode.CONFIG_INVALID, 'TQCA_PKCS11_MODULE is set: TQCA_HSM_PROFILE must name the device family', {
        field: 'TQCA_HSM_PROFILE',
      });
    }
    const profile = loadProfile(env.TQCA_HSM_PROFILE);
    if (!profile.ok) return profile;
    const pin = configuredPin(env);
    if (!pin.ok) return pin;
    if (pin.value === null) {
      return err(HsmErrorCode.PIN_MISSING, 'set TQCA_HSM_PIN or TQCA_HSM_PIN_FILE for the HSM user PIN', { field: 'TQCA_HSM_PIN' });
    }
    return ok({ ...common, modulePath: external, pin: pin.value, profile: profile.value, embedded: null });
  }

  const profile = loadProfile(env.TQCA_HSM_PROFILE || env.TQCA_SOFTTOKEN_FAMILY || 'softtoken');
  if (!profile.ok) return profile;
  const tokenDir = env.TQCA_TOKEN_DIR || join(dataDir, 'token');
  const secrets = firstRunSecrets(join(dataDir, 'secrets'));
  if (!secrets.ok) return secrets;
  const pin = configuredPin(env);
  if (!pin.ok) return pin;
  const modulePath = softTokenModulePath();
  if (!modulePath.ok) return modulePath;
  return ok({
    ...common,
    modulePath: modulePath.value,
    pin: pin.value ?? secrets.value.pin,
    profile: profile.value,
    embedded: { tokenDir, soPin: secrets.value.soPin, moduleEnv: { TQCA_TOKEN_DIR: tokenDir } },
  });
}

function configuredPin(env: Env): Result<string | null> {
  if (env.TQCA_HSM_PIN && env.TQCA_HSM_PIN_FILE) {
    return err(HsmErrorCode.CONFIG_INVALID, 'set TQCA_HSM_PIN or TQCA_HSM_PIN_FILE, not both', { field: 'TQCA_HSM_PIN_FILE' });
  }
  if (env.TQCA_HSM_PIN) return ok(env.TQCA_HSM_PIN);
  if (!env.TQCA_HSM_PIN_FILE) return ok(null);
  try {
    const pin = readFileSync(env.TQCA_HSM_PIN_FILE, 'utf8').replace(/\r?\n$/, '');
    if (pin.length === 0) return err(HsmErrorCode.PIN_MISSING, `${env.TQCA_HSM_PIN_FILE} is empty`, { field: 'TQCA_HSM_PIN_FILE' });
    return ok(pin);
  } catch (e) {
    return err(HsmErrorCode.PIN_MISSING, `cannot read TQCA_HSM_PIN_FILE: ${(e as Error).message}`, { field: 'TQCA_HSM_PIN_FILE' });
  }
}

/** The embedded token's user and SO PINs: read, or generated once (exclusive create, mode 0600). */
function firstRunSecrets(dir: string): Result<{ pin: string; soPin: string }> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return ok({ pin: secret(join(dir, 'token-pin')), soPin: secret(join(dir, 'token-so-pin')) });
  } catch (e) {
    return err(HsmErrorCode.CONFIG_INVALID, `cannot prepare the embedded token's secrets in ${dir}: ${(e as Error).message}`, {
      field: 'secrets',
    });
  }
}

function secret(path: string): string {
  // Written whole to a private file, then linked into place: a concurrent first run sees all or nothing.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, randomBytes(16).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, path);
  } catch (e) {
    // An earlier run (or another process) created it first: that one is the secret.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(draft);
  }
  return readFileSync(path, 'utf8').trim();
}

function integer(text: string | undefined, fallback: number, min: number, max: number, field: string): Result<number> {
  if (text === undefined || text === '') return ok(fallback);
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    return err(HsmErrorCode.CONFIG_INVALID, `${field} must be an integer from ${min} to ${max}`, { field, details: { value: text } });
  }
  return ok(value);
}
