/** initToken on a third-party module (SoftHSMv2): a free slot becomes a token, a second run finds it. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unwrap } from '../lib/errors';
import { expectError } from './contract';
import { HsmErrorCode } from './errors';
import { openPkcs11KeyManager } from './pkcs11KeyManager';
import { loadProfile } from './profile';
import { SOFTHSM2_MODULE } from './testTokens';
import { initToken } from './tokenInit';

const dir = mkdtempSync(join(tmpdir(), 'tqca-init-'));
mkdirSync(join(dir, 'tokens'));
writeFileSync(join(dir, 'softhsm2.conf'), `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
process.env.SOFTHSM2_CONF = join(dir, 'softhsm2.conf');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('initToken', () => {
  const request = { modulePath: SOFTHSM2_MODULE, tokenLabel: 'tqca-init', soPin: '87654321', userPin: '24681012' };

  it('initialises a free slot, sets the user PIN, and is idempotent', async () => {
    const created = unwrap(initToken(request));
    expect(created).toMatchObject({ state: 'created', tokenLabel: 'tqca-init' });
    expect(unwrap(initToken(request))).toEqual({ ...created, state: 'exists' });
    const hsm = unwrap(await openPkcs11KeyManager({ ...request, pin: request.userPin, profile: unwrap(loadProfile('p256')) }));
    unwrap(await hsm.health());
    await hsm.close();
    // SoftHSM's own tool sees the token we made.
    expect(execFileSync('softhsm2-util', ['--show-slots'], { encoding: 'utf8' })).toContain('tqca-init');
  });

  it('names a bad label and a missing module', () => {
    expectError(initToken({ ...request, tokenLabel: 'x'.repeat(33) }), HsmErrorCode.CONFIG_INVALID);
    expectError(initToken({ ...request, modulePath: join(dir, 'missing.so') }), HsmErrorCode.MODULE_NOT_FOUND);
  });
});
