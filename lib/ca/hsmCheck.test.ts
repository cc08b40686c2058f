/**
 * The HSM checked at start-up, through openCa on the embedded PGlite and software token: with a
 * root key in use, a deleted token store is not re-created empty, and a replaced one (a fresh
 * token whose key under the root key's CKA_ID is another) is caught by the public key. Either
 * way the CA opens for reading, refuses to sign with the typed code, and raises the alarm on
 * stderr and in the audit log.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { initEmbeddedToken, isEmbedded, openHsm, resolveHsmConfig } from '../../hsm';
import { unwrap, type Result } from '../errors';
import { sealedOperatorSet } from '../../test/support/operators';
import { openCa, type OpenCa } from '../runtime/openCa';
import { approveCeremony, listRootKeys, requestRootKeyChange, requestRootKeyCreation } from './rootKeys';

const dataDir = mkdtempSync(join(tmpdir(), 'tqca-hsmcheck-'));
const env = { TQCA_DATA_DIR: dataDir, TQCA_HSM_POOL_SIZE: '2' };
const tokenDir = join(dataDir, 'token');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const code = (r: Result<unknown>) => (r.ok ? 'ok' : r.error.code);
const PASSWORD = 'correct horse battery staple';

async function withCa<T>(use: (opened: OpenCa, alarms: string[]) => Promise<T>): Promise<T> {
  const alarms: string[] = [];
  const write = process.stderr.write.bind(process.stderr) as (chunk: string | Uint8Array) => boolean;
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    if (String(chunk).includes('ALARM')) alarms.push(String(chunk));
    return write(chunk);
  }) as typeof process.stderr.write);
  const opened = unwrap(await openCa(env));
  try {
    return await use(opened, alarms);
  } finally {
    await opened.close();
  }
}

const alarmEvents = (opened: OpenCa) => opened.db.prisma.auditEvent.findMany({ where: { action: 'hsm.rootKeyCheckFailed' }, orderBy: { seq: 'asc' } });

describe('the HSM at start-up', () => {
  let root: { hsmKeyId: Uint8Array; hsmKeyLabel: string };

  it('opens quietly while every root key in use is in the HSM as recorded', async () => {
    root = await withCa(async ({ ca }, alarms) => {
      const { alice, bob } = await sealedOperatorSet(ca, PASSWORD, [['alice', 'OFFICER'], ['bob', 'OFFICER']]);
      const created = unwrap(await requestRootKeyCreation(ca, alice, { index: 0x91, environment: 'TEST', expiry: { year: 2031, month: 12, day: 31 } }));
      unwrap(await approveCeremony(ca, bob, created.id));
      unwrap(await approveCeremony(ca, bob, unwrap(await requestRootKeyChange(ca, alice, 'ACTIVATE', 0x91)).id));
      expect(alarms).toEqual([]);
      return ca.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x91 } });
    });
    await withCa(async ({ ca }, alarms) => {
      expect(code(await ca.keys.sign({ id: root.hsmKeyId }, new Uint8Array(74)))).toBe('ok');
      expect(alarms).toEqual([]);
    });
  });

  it('does not re-create a deleted token store under an active root key, and refuses to sign', async () => {
    rmSync(tokenDir, { recursive: true, force: true });
    await withCa(async (opened, alarms) => {
      const { ca } = opened;
      expect(code(await ca.keys.sign({ id: root.hsmKeyId }, new Uint8Array(74)))).toBe('HSM_KEY_MISSING');
      expect(code(await ca.keys.generateKey({ label: 'x', algorithm: 'sm2' }))).toBe('HSM_KEY_MISSING');
      // Reading needs no HSM.
      expect((await listRootKeys(ca)).map((k) => [k.index, k.state])).toEqual([['91', 'ACTIVE']]);
      expect(alarms).toHaveLength(1);
      expect(alarms[0]).toMatch(/^tqca: ALARM HSM_KEY_MISSING: .*signing is refused/);
      const [event] = await alarmEvents(opened);
      expect(event.details).toMatchObject({ code: 'HSM_KEY_MISSING', cause: 'HSM_TOKEN_NOT_FOUND' });
    });
    // No token was created in the store (the module may create the empty directory itself).
    expect(existsSync(tokenDir) ? readdirSync(tokenDir) : []).toEqual([]);
  });

  it('catches a replaced token store by the public key under the root key’s CKA_ID', async () => {
    const config = unwrap(resolveHsmConfig(env));
    if (!isEmbedded(config)) throw new Error('expected the embedded token');
    unwrap(initEmbeddedToken(config));
    const impostor = unwrap(await openHsm(config, { initialise: false }));
    unwrap(await impostor.generateKey({ label: root.hsmKeyLabel, id: root.hsmKeyId, algorithm: 'sm2' }));
    await impostor.close();

    await withCa(async (opened, alarms) => {
      expect(code(await opened.ca.keys.sign({ id: root.hsmKeyId }, new Uint8Array(74)))).toBe('HSM_KEY_MISMATCH');
      expect(alarms[0]).toMatch(/^tqca: ALARM HSM_KEY_MISMATCH: /);
      const events = await alarmEvents(opened);
      expect(events.at(-1)!.details).toMatchObject({ code: 'HSM_KEY_MISMATCH', rootKeyIndex: '91', label: root.hsmKeyLabel });
    });
  });
});
