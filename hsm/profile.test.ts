import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../lib/bytes';
import { unwrap } from '../lib/errors';
import { HsmErrorCode } from './errors';
import { BUILT_IN_PROFILES, loadProfile, parseProfile } from './profile';
import { SOFTTOKEN_FAMILIES } from './softtoken';

const luna = () => JSON.parse(JSON.stringify({
  name: 'x',
  algorithm: 'sm2',
  keyType: '0x80000016',
  keyPairGen: { name: 'GEN', code: '0x80000B20' },
  ecParams: '06082a811ccf5501822d',
  sign: [{ name: 'SIGN', code: '0x80000B21', input: 'digest', output: 'raw' }],
  publicKeyTemplate: { CKA_TOKEN: true },
  privateKeyTemplate: { CKA_TOKEN: true, CKA_SIGN: true },
}));

describe('vendor profiles', () => {
  it('parses every built-in profile into typed codes', () => {
    expect(BUILT_IN_PROFILES).toEqual(expect.arrayContaining(['luna', 'sansec', 'tass', 'softtoken', 'p256']));
    for (const name of BUILT_IN_PROFILES) expect(unwrap(loadProfile(name)).name).toBe(name);
    const sansec = unwrap(loadProfile('sansec'));
    expect(sansec.keyType).toBe(0x80000004);
    expect(sansec.sign.find((m) => m.code === 0x80008104)).toMatchObject({ input: 'digest', output: 'der' });
    expect(toHex(unwrap(loadProfile('luna')).ecParams)).toBe('06082a811ccf5501822d');
  });

  it('describes the software token families with exactly the codes the token answers under', () => {
    for (const [family, codes] of Object.entries(SOFTTOKEN_FAMILIES)) {
      const profile = unwrap(loadProfile(family));
      expect(profile.keyType, family).toBe(codes.keyType);
      expect(profile.keyPairGen.code, family).toBe(codes.keyPairGen);
      const sign = (m: { code: number; input: string; output: string }) => `${m.code.toString(16)} ${m.input} ${m.output}`;
      const tokenInput = (m: (typeof codes.sign)[number]) => (m.input === 'digest' ? 'digest' : m.takesSignerId ? 'message-with-id' : 'message');
      expect(profile.sign.map(sign).sort(), family).toEqual(codes.sign.map((m) => sign({ code: m.mechanism, input: tokenInput(m), output: m.output })).sort());
    }
  });

  it('loads a profile from a JSON file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tqca-profile-')), 'device.json');
    writeFileSync(path, JSON.stringify({ ...luna(), name: 'my-device' }));
    expect(unwrap(loadProfile(path)).name).toBe('my-device');
  });

  it.each([
    ['unknown name', () => loadProfile('nCipher'), 'profile'],
    ['algorithm', () => parseProfile({ ...luna(), algorithm: 'rsa' }), 'algorithm'],
    ['key type', () => parseProfile({ ...luna(), keyType: 22 }), 'keyType'],
    ['no sign mechanism', () => parseProfile({ ...luna(), sign: [] }), 'sign'],
    ['sign input', () => parseProfile({ ...luna(), sign: [{ name: 'S', code: '0x1', input: 'hash', output: 'raw' }] }), 'sign[0].input'],
    ['signer ID for P-256', () => parseProfile({ ...luna(), algorithm: 'p256', sign: [{ name: 'S', code: '0x1', input: 'message-with-id', output: 'raw' }] }), 'sign[0].input'],
    ['EC params not an OID', () => parseProfile({ ...luna(), ecParams: '0408' }), 'ecParams'],
    ['unknown attribute', () => parseProfile({ ...luna(), privateKeyTemplate: { CKA_SIGNN: true } }), 'privateKeyTemplate.CKA_SIGNN'],
    ['layer-owned attribute', () => parseProfile({ ...luna(), publicKeyTemplate: { CKA_LABEL: true } }), 'publicKeyTemplate.CKA_LABEL'],
    ['non-boolean attribute', () => parseProfile({ ...luna(), privateKeyTemplate: { CKA_SIGN: 1 } }), 'privateKeyTemplate.CKA_SIGN'],
  ])('rejects a bad profile (%s) with HSM_PROFILE_INVALID naming the field', (_, load, field) => {
    const result = load();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: HsmErrorCode.PROFILE_INVALID, field });
  });

  it('an unknown name lists the built-in profiles, even one every object inherits', () => {
    for (const name of ['nCipher', 'constructor', 'toString']) {
      const result = loadProfile(name);
      expect(result.ok ? null : result.error.details, name).toEqual({ known: BUILT_IN_PROFILES });
    }
  });
});
