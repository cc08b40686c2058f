import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unwrap } from '../lib/errors';
import { resolveHsmConfig, signingPosture } from './config';
import { HsmErrorCode } from './errors';
import { softTokenModulePath } from './softtoken';

const fresh = () => mkdtempSync(join(tmpdir(), 'tqca-config-'));

function errorOf(env: Record<string, string>): { code: string; field?: string } {
  const result = resolveHsmConfig(env);
  if (result.ok) throw new Error('expected a configuration error');
  return result.error;
}

describe('HSM configuration', () => {
  it('resolved read-only, writes nothing: no PINs and none configured is HSM_TOKEN_NOT_FOUND; a configured PIN is used, with no SO PIN', () => {
    const data = fresh();
    expect(resolveHsmConfig({ TQCA_DATA_DIR: data }, { createSecrets: false })).toMatchObject({ ok: false, error: { code: HsmErrorCode.TOKEN_NOT_FOUND } });
    const config = unwrap(resolveHsmConfig({ TQCA_DATA_DIR: data, TQCA_HSM_PIN: '123456' }, { createSecrets: false }));
    expect([config.pin, config.embedded?.soPin]).toEqual(['123456', null]);
    expect(readdirSync(data)).toEqual([]);
  });


  it('defaults to the embedded software token: store and first-run PINs under the data directory, mode 0600', () => {
    const data = fresh();
    const config = unwrap(resolveHsmConfig({ TQCA_DATA_DIR: data }));
    expect(config).toMatchObject({ modulePath: unwrap(softTokenModulePath()), tokenLabel: 'tqca', poolSize: 8, acquireTimeoutMs: 10_000 });
    expect(config.profile.name).toBe('softtoken');
    expect(config.embedded?.moduleEnv).toEqual({ TQCA_TOKEN_DIR: join(data, 'token') });
    const pinFile = join(data, 'secrets', 'token-pin');
    expect(statSync(pinFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(data, 'secrets', 'token-so-pin')).mode & 0o777).toBe(0o600);
    expect(config.pin).toBe(readFileSync(pinFile, 'utf8').trim());
    expect(config.pin).not.toBe(config.embedded?.soPin);
    expect(signingPosture(config)).toMatchObject({ pinSource: 'on-disk', evaluationOnly: true, notice: expect.stringMatching(/^evaluation only: software token with its PIN on disk/) });
    // Generated once: a second resolution reads the same secrets.
    expect(unwrap(resolveHsmConfig({ TQCA_DATA_DIR: data }))).toMatchObject({ pin: config.pin, embedded: { soPin: config.embedded?.soPin } });
  });

  it('takes the software token family, store and label from the environment', () => {
    const config = unwrap(
      resolveHsmConfig({ TQCA_DATA_DIR: fresh(), TQCA_SOFTTOKEN_FAMILY: 'tass', TQCA_TOKEN_DIR: '/srv/token', TQCA_TOKEN_LABEL: 'root-hsm', TQCA_HSM_POOL_SIZE: '16' }),
    );
    expect(config).toMatchObject({ tokenLabel: 'root-hsm', poolSize: 16, embedded: { tokenDir: '/srv/token' } });
    expect(config.profile.name).toBe('tass');
  });

  it('an external module needs a profile and a PIN, from the environment or a file', () => {
    const module = { TQCA_DATA_DIR: fresh(), TQCA_PKCS11_MODULE: '/opt/hsm/libcryptoki.so' };
    expect(errorOf(module)).toMatchObject({ code: HsmErrorCode.CONFIG_INVALID, field: 'TQCA_HSM_PROFILE' });
    expect(errorOf({ ...module, TQCA_HSM_PROFILE: 'luna' })).toMatchObject({ code: HsmErrorCode.PIN_MISSING });
    expect(unwrap(resolveHsmConfig({ ...module, TQCA_HSM_PROFILE: 'luna', TQCA_HSM_PIN: '1234' }))).toMatchObject({ pin: '1234', embedded: null });
    const pinFile = join(fresh(), 'pin');
    writeFileSync(pinFile, 's3cret\n');
    expect(unwrap(resolveHsmConfig({ ...module, TQCA_HSM_PROFILE: 'sansec', TQCA_HSM_PIN_FILE: pinFile })).pin).toBe('s3cret');
    expect(errorOf({ ...module, TQCA_HSM_PROFILE: 'sansec', TQCA_HSM_PIN_FILE: pinFile, TQCA_HSM_PIN: '1' }).code).toBe(HsmErrorCode.CONFIG_INVALID);
    expect(errorOf({ ...module, TQCA_HSM_PROFILE: 'sansec', TQCA_HSM_PIN_FILE: join(fresh(), 'none') }).code).toBe(HsmErrorCode.PIN_MISSING);
    expect(errorOf({ ...module, TQCA_HSM_PROFILE: 'ncipher', TQCA_HSM_PIN: '1' }).code).toBe(HsmErrorCode.PROFILE_INVALID);
    const inDataDir = join(module.TQCA_DATA_DIR, 'secrets', 'token-pin');
    mkdirSync(join(module.TQCA_DATA_DIR, 'secrets'));
    writeFileSync(inDataDir, 's3cret\n');
    expect(errorOf({ ...module, TQCA_HSM_PROFILE: 'luna', TQCA_HSM_PIN_FILE: inDataDir })).toMatchObject({ code: HsmErrorCode.CONFIG_INVALID, field: 'TQCA_HSM_PIN_FILE' });
  });

  it('TQCA_HSM_QUORUM=K/N: no PIN configured or written, for the embedded token and an external module', () => {
    const data = fresh();
    const embedded = unwrap(resolveHsmConfig({ TQCA_DATA_DIR: data, TQCA_HSM_QUORUM: '3/5' }));
    expect(embedded).toMatchObject({ pin: null, pinSource: 'quorum', quorum: { k: 3, n: 5, recordPath: join(data, 'hsm-quorum.json') }, embedded: { soPin: null } });
    expect(existsSync(join(data, 'secrets'))).toBe(false);
    expect(signingPosture(embedded)).toEqual({ pinSource: 'quorum', evaluationOnly: false, notice: null });
    const external = { TQCA_DATA_DIR: data, TQCA_PKCS11_MODULE: '/opt/hsm/libcryptoki.so', TQCA_HSM_PROFILE: 'luna', TQCA_HSM_QUORUM: '2/3' };
    expect(unwrap(resolveHsmConfig(external))).toMatchObject({ pin: null, pinSource: 'quorum', embedded: null });
    expect(errorOf({ ...external, TQCA_HSM_PIN: '1234' })).toMatchObject({ code: HsmErrorCode.CONFIG_INVALID, field: 'TQCA_HSM_QUORUM' });
    for (const value of ['1/3', '4/3', '2/256', '2', 'two/three']) {
      expect(errorOf({ TQCA_DATA_DIR: data, TQCA_HSM_QUORUM: value }), value).toMatchObject({ code: HsmErrorCode.CONFIG_INVALID, field: 'TQCA_HSM_QUORUM' });
    }
  });

  it.each(['0', '257', '8.5', 'eight'])('refuses TQCA_HSM_POOL_SIZE=%s', (size) => {
    expect(errorOf({ TQCA_DATA_DIR: fresh(), TQCA_HSM_POOL_SIZE: size })).toMatchObject({ code: HsmErrorCode.CONFIG_INVALID, field: 'TQCA_HSM_POOL_SIZE' });
  });
});
