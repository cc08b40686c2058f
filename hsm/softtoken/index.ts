/**
 * The SM2 software token: a PKCS#11 v2.40 module in C on OpenSSL 3 (hsm/softtoken/src), used for
 * development, CI and the embedded default through the same pkcs11js path as a production HSM.
 * This file locates and builds the module and states its vendor codes; the PKCS#11 layer that
 * talks to it lives in hsm/*.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../../lib/errors';

const LIBRARY = 'libtqsofttoken.so';

/** Code families the token can answer under (env TQCA_SOFTTOKEN_FAMILY, default `softtoken`). */
export type SoftTokenFamilyName = 'softtoken' | 'luna' | 'sansec' | 'tass';

export interface SoftTokenSignMechanism {
  readonly mechanism: number;
  /** `digest`: signs a 32-byte e = SM3(Z‖M) as given; `sm3`: the token computes Z (signer ID) and e. */
  readonly input: 'digest' | 'sm3';
  /** `raw`: r‖s, 64 bytes; `der`: SEQUENCE { INTEGER r, INTEGER s }. */
  readonly output: 'raw' | 'der';
  /** The mechanism parameter is the signer ID (empty: 1234567812345678); false: no parameter accepted. */
  readonly takesSignerId: boolean;
}

export interface SoftTokenFamily {
  readonly keyType: number;
  readonly keyPairGen: number;
  readonly sign: readonly SoftTokenSignMechanism[];
  /** TASS style: CKA_EC_POINT is on the private key too. */
  readonly privateKeyHasEcPoint: boolean;
}

const digest = (mechanism: number, output: 'raw' | 'der'): SoftTokenSignMechanism => ({
  mechanism,
  input: 'digest',
  output,
  takesSignerId: false,
});
const sm3 = (mechanism: number, output: 'raw' | 'der', takesSignerId = true): SoftTokenSignMechanism => ({
  mechanism,
  input: 'sm3',
  output,
  takesSignerId,
});

/** The codes the module answers under, in C_GetMechanismList order after the key-pair generator. */
export const SOFTTOKEN_FAMILIES: Readonly<Record<SoftTokenFamilyName, SoftTokenFamily>> = {
  softtoken: {
    keyType: 0x80545101,
    keyPairGen: 0x80545110,
    sign: [digest(0x80545111, 'raw'), sm3(0x80545112, 'raw')],
    privateKeyHasEcPoint: false,
  },
  luna: {
    keyType: 0x80000016,
    keyPairGen: 0x80000b20,
    sign: [digest(0x80000b21, 'raw'), sm3(0x80000b22, 'raw')],
    privateKeyHasEcPoint: false,
  },
  sansec: {
    keyType: 0x80000004,
    keyPairGen: 0x80008001,
    sign: [
      digest(0x80008104, 'der'),
      digest(0x80008105, 'raw'),
      sm3(0x80008100, 'raw'),
      sm3(0x80008101, 'der'),
      sm3(0x80008102, 'raw', false),
    ],
    privateKeyHasEcPoint: false,
  },
  tass: {
    keyType: 0x80000004,
    keyPairGen: 0x80008001,
    sign: [digest(0x80008000, 'der'), sm3(0x80008100, 'der')],
    privateKeyHasEcPoint: true,
  },
};

/** Vendor-defined return codes of C_Initialize when the environment is unusable. */
export const SOFTTOKEN_CKR = {
  TOKEN_DIR_UNSET: 0x80545101,
  TOKEN_DIR_UNUSABLE: 0x80545102,
  FAMILY_UNKNOWN: 0x80545103,
  SLOT_COUNT_INVALID: 0x80545104,
  FAULT_CONFIG_INVALID: 0x80545105,
} as const;

const here = dirname(fileURLToPath(import.meta.url));

function candidates(): string[] {
  // A bundler may move this file; the project root is the fallback.
  return [join(here, 'build', LIBRARY), join(process.cwd(), 'hsm', 'softtoken', 'build', LIBRARY)];
}

/** Absolute path of the built module; SOFTTOKEN_NOT_BUILT when it is missing. */
export function softTokenModulePath(): Result<string> {
  const found = candidates().find((p) => existsSync(p));
  if (found) return ok(found);
  return err('SOFTTOKEN_NOT_BUILT', 'the SM2 software token is not built: run `npm run build:softtoken` (needs gcc and libssl-dev)', {
    details: { looked: candidates() },
  });
}

/** Compiles the module when a source is newer than the library; its path, or SOFTTOKEN_BUILD_FAILED. */
export function buildSoftToken(options: { force?: boolean } = {}): Result<string> {
  const script = join(here, 'build.mjs');
  const args = [script, ...(options.force ? ['--force'] : [])];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (result.status !== 0) return err('SOFTTOKEN_BUILD_FAILED', (result.stderr || result.error?.message || 'build failed').trim());
  return softTokenModulePath();
}
