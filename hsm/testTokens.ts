/**
 * Real tokens for the contract suite, each in a fresh temporary store: SoftHSMv2 (P-256, the
 * third-party standard module) and the project's SM2 software token under each vendor family.
 * A PKCS#11 module reads its configuration from the environment at C_Initialize, so a test file
 * sets up one token per process (vitest runs files in separate forks).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unwrap } from '../lib/errors';
import { loadProfile, type VendorProfile } from './profile';
import { buildSoftToken, type SoftTokenFamilyName } from './softtoken';
import { initToken } from './tokenInit';

export interface TokenUnderTest {
  readonly name: string;
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly soPin: string;
  readonly profile: VendorProfile;
  /** A profile whose mechanisms this token lacks (HSM_MECHANISM_MISSING). */
  readonly foreignProfile: VendorProfile;
  /** The token store on disk (the software token's `.removed` switch lives there). */
  readonly storeDir: string;
  /** What a child process needs in its environment to reach the same token store. */
  readonly env: Readonly<Record<string, string>>;
  readonly dispose: () => void;
}

export const SOFTHSM2_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export function softHsm2Token(): TokenUnderTest {
  const dir = mkdtempSync(join(tmpdir(), 'tqca-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { SOFTHSM2_CONF: conf };
  Object.assign(process.env, env);
  const token = { tokenLabel: 'tqca-contract', pin: '246810', soPin: '13579111' };
  // Initialised by SoftHSM's own tool, independently of the layer under test.
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', token.tokenLabel, '--pin', token.pin, '--so-pin', token.soPin], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  return {
    name: 'SoftHSMv2 (P-256)',
    modulePath: SOFTHSM2_MODULE,
    ...token,
    profile: unwrap(loadProfile('p256')),
    foreignProfile: unwrap(loadProfile('luna')),
    storeDir: dir,
    env,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The SM2 software token answering under `family`'s vendor codes, initialised through our own
 * initToken. `faults`: the token's fault-injection switches (TQCA_SOFTTOKEN_FAIL_SIGN_AT …).
 */
export function softToken(family: SoftTokenFamilyName, faults: Record<string, string> = {}): TokenUnderTest {
  const dir = mkdtempSync(join(tmpdir(), `tqca-softtoken-${family}-`));
  const token = softTokenIn(dir, family, faults);
  unwrap(initToken({ modulePath: token.modulePath, tokenLabel: token.tokenLabel, soPin: token.soPin, userPin: token.pin }));
  return token;
}

/**
 * The software token a parent process set up (`softToken`), in a child that got the parent's
 * `env`: the same store, not initialised again and not removed by this process.
 */
export function joinedSoftToken(env: NodeJS.ProcessEnv = process.env): TokenUnderTest {
  const dir = env.TQCA_TOKEN_DIR;
  const family = env.TQCA_SOFTTOKEN_FAMILY as SoftTokenFamilyName | undefined;
  if (!dir || !family) throw new Error('joinedSoftToken: TQCA_TOKEN_DIR and TQCA_SOFTTOKEN_FAMILY are not set');
  return { ...softTokenIn(dir, family, {}), dispose: () => undefined };
}

function softTokenIn(dir: string, family: SoftTokenFamilyName, faults: Record<string, string>): TokenUnderTest {
  const env = { TQCA_TOKEN_DIR: dir, TQCA_SOFTTOKEN_FAMILY: family, ...faults };
  Object.assign(process.env, env);
  return {
    name: `software token (SM2, ${family} family)`,
    modulePath: unwrap(buildSoftToken()),
    tokenLabel: 'tqca-contract',
    pin: '24681012',
    soPin: '13579111',
    profile: unwrap(loadProfile(family)),
    foreignProfile: unwrap(loadProfile(family === 'luna' ? 'softtoken' : 'luna')),
    storeDir: dir,
    env,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
