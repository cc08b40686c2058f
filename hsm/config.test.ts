import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unwrap } from '../lib/errors';
import { resolveHsmConfig } from './config';
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
  });

  it.each(['0', '257', '8.5', 'eight'])('refuses TQCA_HSM_POOL_SIZE=%s', (size) => {
    expect(errorOf({ TQCA_DATA_DIR: fresh(), TQCA_HSM_POOL_SIZE: size })).toMatchObject({ code: HsmErrorCode.CONFIG_INVALID, field: 'TQCA_HSM_POOL_SIZE' });
  });
});
