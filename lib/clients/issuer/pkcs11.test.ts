/**
 * The issuer's key in its own PKCS#11 token (the project's SM2 software token, a fresh store):
 * generated with even Y, found again by label, signing verifiably; a label in use is refused; and
 * `tqca issuer keygen --pkcs11` reaches the same token from the real binary.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sm2 } from '../../crypto/sm2';
import { softToken } from '../../../hsm/testTokens';
import { runTqca } from '../../cli/testSupport';
import { withKeyStore, type Pkcs11Token } from './pkcs11';

const token = softToken('softtoken');
afterAll(() => token.dispose());
const pinFile = join(mkdtempSync(join(tmpdir(), 'tqca-issuer-pin-')), 'pin');
writeFileSync(pinFile, `${token.pin}\n`, { mode: 0o600 });
const location: Pkcs11Token = { module: token.modulePath, tokenLabel: token.tokenLabel, pinFile, profile: 'softtoken' };

describe('an issuer key in the issuer’s own PKCS#11 token', () => {
  it('is generated with even Y, found by its label and signs; a label is used once', async () => {
    const message = Uint8Array.of(0xa1, 1, 2);
    const outcome = await withKeyStore(location, async (store) => {
      const made = [];
      for (let i = 0; i < 4; i++) {
        const key = await store.generate(`issuer-${i}`);
        if (!key.ok) return key;
        made.push(key.value);
      }
      const again = await store.generate('issuer-0');
      const opened = await store.open('issuer-2');
      if (!opened.ok) return opened;
      const signature = await opened.value.sign(message);
      return { ok: true as const, value: { made, again, opened: opened.value, signature } };
    });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.error));
    const { made, again, opened, signature } = outcome.value;
    expect(made.every((k) => (k.publicKey.y & 1n) === 0n)).toBe(true);
    expect(again).toMatchObject({ ok: false, error: { code: 'CLIENT_KEY_EXISTS' } });
    expect([opened.reference, Buffer.from(opened.publicKey.bytes).toString('hex')]).toEqual(['pkcs11:issuer-2', Buffer.from(made[2]!.publicKey.bytes).toString('hex')]);
    expect(signature.ok && sm2.verify(message, signature.value, opened.publicKey)).toBe(true);
  });

  it('is what `tqca issuer keygen --pkcs11` makes, from the real binary', async () => {
    const args = ['issuer', 'keygen', '--pkcs11', token.modulePath, '--token-label', token.tokenLabel, '--pin-file', pinFile, '--out', 'from-cli', '--json'];
    const run = await runTqca(args, { env: token.env });
    expect(run.json, run.stdout + run.stderr).toMatchObject({ valid: true, key: 'pkcs11:from-cli' });
    const found = await withKeyStore(location, (store) => store.open('from-cli'));
    expect(found.ok && Buffer.from(found.value.publicKey.bytes).toString('hex')).toBe(run.json.publicKey);
    const withoutPin = await runTqca(['issuer', 'keygen', '--pkcs11', token.modulePath, '--out', 'x', '--json'], { env: token.env });
    expect([withoutPin.exitCode, withoutPin.json.error.code]).toEqual([1, 'USAGE']);
  });
});
