import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sm2 } from '../../crypto/sm2';
import { monthsAhead, parseExpiry } from './issuer';
import { generateFileKey, openFileKey } from './keys';

const dir = mkdtempSync(join(tmpdir(), 'tqca-issuer-keys-'));

describe('the issuer client’s key files', () => {
  it('makes even-Y keys, mode 0600, that read back and sign', async () => {
    for (let i = 0; i < 8; i++) {
      const path = join(dir, `k${i}.json`);
      const made = generateFileKey(path);
      if (!made.ok) throw new Error(made.error.message);
      expect(made.value.publicKey.y & 1n).toBe(0n);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const opened = openFileKey(path);
      if (!opened.ok) throw new Error(opened.error.message);
      expect(Buffer.from(opened.value.publicKey.bytes)).toEqual(Buffer.from(made.value.publicKey.bytes));
      const signature = await opened.value.sign(Uint8Array.of(1, 2, 3));
      expect(signature.ok && sm2.verify(Uint8Array.of(1, 2, 3), signature.value, made.value.publicKey)).toBe(true);
    }
  });

  it('never replaces a key file, and refuses one others may read or that is not a key', () => {
    const path = join(dir, 'once.json');
    expect(generateFileKey(path).ok).toBe(true);
    expect(generateFileKey(path)).toMatchObject({ ok: false, error: { code: 'CLIENT_KEY_EXISTS' } });
    chmodSync(path, 0o644);
    expect(openFileKey(path)).toMatchObject({ ok: false, error: { code: 'CLIENT_KEY_INVALID' } });
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '{"format":"other"}', { mode: 0o600 });
    expect(openFileKey(junk)).toMatchObject({ ok: false, error: { code: 'CLIENT_KEY_INVALID' } });
  });

  it('reads MMYY and counts months in CST', () => {
    expect(parseExpiry('1227')).toEqual({ ok: true, value: { month: 12, year: 2027 } });
    expect(parseExpiry('1327').ok).toBe(false);
    expect(parseExpiry('0150').ok).toBe(false);
    // 2026-12-31T20:00Z is already January 2027 in CST.
    expect(monthsAhead(new Date('2026-12-31T20:00:00Z'), 12)).toEqual({ year: 2028, month: 1 });
    expect(monthsAhead(new Date('2026-12-31T10:00:00Z'), 1)).toEqual({ year: 2027, month: 1 });
  });
});
