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

export interface TokenUnderTest {
  readonly name: string;
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly soPin: string;
  readonly profile: VendorProfile;
  /** A profile whose mechanisms this token lacks (HSM_MECHANISM_MISSING). */
  readonly foreignProfile: VendorProfile;
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
    env,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
