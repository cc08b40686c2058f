/**
 * Where the HSM is and how to log in, from the environment:
 *
 *   TQCA_PKCS11_MODULE   PKCS#11 library path; unset = the embedded software token
 *   TQCA_TOKEN_LABEL     token label (default `tqca`)
 *   TQCA_HSM_PIN         user PIN, or TQCA_HSM_PIN_FILE naming a file that holds it (not both)
 *   TQCA_HSM_QUORUM      `K/N`: the production profile. No PIN is configured or stored: `tqca hsm init`
 *                        splits a random one among N officers, and K of them activate signing (hsm/quorum.ts)
 *   TQCA_HSM_PROFILE     vendor profile: luna | sansec | tass | softtoken | p256 | path to a JSON file
 *   TQCA_HSM_POOL_SIZE   concurrent sessions (default 8); UV_THREADPOOL_SIZE should be at least this
 *   TQCA_HSM_ACQUIRE_TIMEOUT_MS  how long a signer waits for a session (default 10000)
 *
 * The embedded default is the software token (hsm/softtoken) with its store in `.data/token`
 * (TQCA_TOKEN_DIR), label `tqca`, and PINs generated on first run into `.data/secrets/`
 * (mode 0600) — evaluation only, as `signingPosture` says; TQCA_DATA_DIR moves `.data`. An external
 * module needs an explicit profile, and a PIN or the quorum.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../lib/errors';
import { HsmErrorCode } from './errors';
import { loadProfile, type VendorProfile } from './profile';
import { softTokenModulePath } from './softtoken';

export const DEFAULT_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '../.data');
export const DEFAULT_TOKEN_LABEL = 'tqca';

/** Where the user PIN comes from. `on-disk`: the embedded token's first-run file (evaluation only). */
export type PinSource = 'on-disk' | 'environment' | 'file' | 'quorum';

/** The production profile: K of the N officers' shares give the PIN (hsm/quorum.ts). */
export interface QuorumPolicy {
  readonly k: number;
  readonly n: number;
  /** The public record of the split (commitments, share holders); never a share or the PIN. */
  readonly recordPath: string;
}

export interface HsmConfig {
  readonly modulePath: string;
  readonly tokenLabel: string;
  /** null under the quorum: nothing configured or stored holds it. */
  readonly pin: string | null;
  readonly pinSource: PinSource;
  readonly quorum: QuorumPolicy | null;
  readonly profile: VendorProfile;
  readonly poolSize: number;
  readonly acquireTimeoutMs: number;
  /** Set for the embedded software token: its store, SO PIN (null under the quorum), and the environment its module reads. */
  readonly embedded: {
    readonly tokenDir: string;
    /** null when resolved without creating secrets and none exist yet (such a config cannot initialise the token). */
    readonly soPin: string | null;
    readonly moduleEnv: Readonly<Record<string, string>>;
  } | null;
}

type Env = Readonly<Record<string, string | undefined>>;

export interface ResolveOptions {
  /**
   * Generate the embedded token's PINs when they do not exist yet (default true). False for
   * read-only callers, which write nothing: without PINs there is no token, so that is
   * HSM_TOKEN_NOT_FOUND.
   */
  readonly createSecrets?: boolean;
}

export function resolveHsmConfig(env: Env = process.env, { createSecrets = true }: ResolveOptions = {}): Result<HsmConfig> {
  const dataDir = env.TQCA_DATA_DIR || DEFAULT_DATA_DIR;
  const poolSize = integer(env.TQCA_HSM_POOL_SIZE, 8, 1, 256, 'TQCA_HSM_POOL_SIZE');
  if (!poolSize.ok) return poolSize;
  const acquireTimeoutMs = integer(env.TQCA_HSM_ACQUIRE_TIMEOUT_MS, 10_000, 1, 600_000, 'TQCA_HSM_ACQUIRE_TIMEOUT_MS');
  if (!acquireTimeoutMs.ok) return acquireTimeoutMs;
  const tokenLabel = env.TQCA_TOKEN_LABEL || DEFAULT_TOKEN_LABEL;
  const quorum = quorumPolicy(env.TQCA_HSM_QUORUM, join(dataDir, 'hsm-quorum.json'));
  if (!quorum.ok) return quorum;
  const pin = configuredPin(env);
  if (!pin.ok) return pin;
  if (quorum.value && pin.value) {
    return err(HsmErrorCode.CONFIG_INVALID, 'TQCA_HSM_QUORUM is set: the officers’ shares give the PIN, so TQCA_HSM_PIN[_FILE] must be unset', {
      field: 'TQCA_HSM_QUORUM',
    });
  }
  const common = { tokenLabel, poolSize: poolSize.value, acquireTimeoutMs: acquireTimeoutMs.value, quorum: quorum.value };

  const external = env.TQCA_PKCS11_MODULE;
  if (external) {
    if (!env.TQCA_HSM_PROFILE) {
      return err(HsmErrorCode.CONFIG_INVALID, 'TQCA_PKCS11_MODULE is set: TQCA_HSM_PROFILE must name the device family', {
        field: 'TQCA_HSM_PROFILE',
      });
    }
    const profile = loadProfile(env.TQCA_HSM_PROFILE);
    if (!profile.ok) return profile;
    if (quorum.value) return ok({ ...common, modulePath: external, pin: null, pinSource: 'quorum', profile: profile.value, embedded: null });
    if (pin.value === null) {
      return err(HsmErrorCode.PIN_MISSING, 'set TQCA_HSM_PIN or TQCA_HSM_PIN_FILE for the HSM user PIN, or TQCA_HSM_QUORUM', { field: 'TQCA_HSM_PIN' });
    }
    // A real HSM's PIN must not sit where the CA keeps (and writes) its own files, e.g. beside the first-run secrets.
    if (env.TQCA_HSM_PIN_FILE && isInside(env.TQCA_HSM_PIN_FILE, dataDir)) {
      return err(HsmErrorCode.CONFIG_INVALID, `TQCA_HSM_PIN_FILE must lie outside the CA's data directory ${resolve(dataDir)}`, {
        field: 'TQCA_HSM_PIN_FILE',
      });
    }
    return ok({ ...common, modulePath: external, pin: pin.value.pin, pinSource: pin.value.source, profile: profile.value, embedded: null });
  }

  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    return err(HsmErrorCode.CONFIG_INVALID, `the data directory ${dataDir} is not a directory`, { field: 'TQCA_DATA_DIR', details: { path: dataDir } });
  }
  const profile = loadProfile(env.TQCA_HSM_PROFILE || env.TQCA_SOFTTOKEN_FAMILY || 'softtoken');
  if (!profile.ok) return profile;
  const tokenDir = env.TQCA_TOKEN_DIR || join(dataDir, 'token');
  const modulePath = softTokenModulePath();
  if (!modulePath.ok) return modulePath;
  const embedded = (soPin: string | null) => ({ tokenDir, soPin, moduleEnv: { TQCA_TOKEN_DIR: tokenDir } });
  // Under the quorum no secret is written: the SO PIN is derived from the split secret too (hsm/quorum.ts).
  if (quorum.value) return ok({ ...common, modulePath: modulePath.value, pin: null, pinSource: 'quorum', profile: profile.value, embedded: embedded(null) });
  const secrets = firstRunSecrets(join(dataDir, 'secrets'), createSecrets);
  if (!secrets.ok) return secrets;
  const userPin = pin.value?.pin ?? secrets.value.pin;
  if (userPin === null) {
    const dir = join(dataDir, 'secrets');
    return err(HsmErrorCode.TOKEN_NOT_FOUND, `the embedded token has not been created (no PINs in ${dir}): run tqca hsm init`, { field: 'secrets', details: { dir } });
  }
  return ok({
    ...common,
    modulePath: modulePath.value,
    pin: userPin,
    pinSource: pin.value?.source ?? 'on-disk',
    profile: profile.value,
    embedded: embedded(secrets.value.soPin),
  });
}

/**
 * What operators and the console must be told about where the PIN lives. The embedded software
 * token with its PIN in `.data/secrets` protects nothing from whoever can read that directory.
 */
export interface SigningPosture {
  readonly pinSource: PinSource;
  readonly evaluationOnly: boolean;
  /** Set when evaluationOnly: the sentence every start-up banner and status page shows. */
  readonly notice: string | null;
}

export function signingPosture(config: HsmConfig): SigningPosture {
  const evaluationOnly = config.embedded !== null && config.pinSource === 'on-disk';
  return {
    pinSource: config.pinSource,
    evaluationOnly,
    notice: evaluationOnly
      ? 'evaluation only: software token with its PIN on disk (anyone who can read the data directory can sign); set TQCA_HSM_QUORUM for production'
      : null,
  };
}

function isInside(path: string, dir: string): boolean {
  const from = relative(resolve(dir), resolve(path));
  return from === '' || (!from.startsWith('..') && !isAbsolute(from));
}

/** `K/N` with 2 ≤ K ≤ N ≤ 255, or unset. */
function quorumPolicy(text: string | undefined, recordPath: string): Result<QuorumPolicy | null> {
  if (!text) return ok(null);
  const m = /^([0-9]{1,3})\/([0-9]{1,3})$/.exec(text.trim());
  const [k, n] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (k < 2 || n < k || n > 255) {
    return err(HsmErrorCode.CONFIG_INVALID, 'TQCA_HSM_QUORUM is K/N, K of N officers, 2 ≤ K ≤ N ≤ 255 (e.g. 2/3)', {
      field: 'TQCA_HSM_QUORUM',
      details: { value: text },
    });
  }
  return ok({ k, n, recordPath });
}

function configuredPin(env: Env): Result<{ pin: string; source: 'environment' | 'file' } | null> {
  if (env.TQCA_HSM_PIN && env.TQCA_HSM_PIN_FILE) {
    return err(HsmErrorCode.CONFIG_INVALID, 'set TQCA_HSM_PIN or TQCA_HSM_PIN_FILE, not both', { field: 'TQCA_HSM_PIN_FILE' });
  }
  if (env.TQCA_HSM_PIN) return ok({ pin: env.TQCA_HSM_PIN, source: 'environment' });
  if (!env.TQCA_HSM_PIN_FILE) return ok(null);
  try {
    const pin = readFileSync(env.TQCA_HSM_PIN_FILE, 'utf8').replace(/\r?\n$/, '');
    if (pin.length === 0) return err(HsmErrorCode.PIN_MISSING, `${env.TQCA_HSM_PIN_FILE} is empty`, { field: 'TQCA_HSM_PIN_FILE' });
    return ok({ pin, source: 'file' });
  } catch (e) {
    return err(HsmErrorCode.PIN_MISSING, `cannot read TQCA_HSM_PIN_FILE: ${(e as Error).message}`, { field: 'TQCA_HSM_PIN_FILE' });
  }
}

/** The embedded token's user and SO PINs: read, or generated once (exclusive create, mode 0600); without `create`, null when absent. */
function firstRunSecrets(dir: string, create: boolean): Result<{ pin: string | null; soPin: string | null }> {
  if (!create && !existsSync(join(dir, 'token-so-pin'))) return ok({ pin: null, soPin: null });
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
