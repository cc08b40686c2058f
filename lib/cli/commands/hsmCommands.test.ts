/**
 * `tqca hsm …` as an operator runs it: separate processes against the embedded software token in a
 * fresh data directory. Creating the token is audited in the CA database.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/client';

const BIN = fileURLToPath(new URL('../../../bin/tqca.cjs', import.meta.url));

async function tqca(env: Record<string, string>, ...args: string[]): Promise<{ exitCode: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    return { exitCode: 0, stdout };
  } catch (e) {
    const failed = e as { code: number; stdout: string };
    return { exitCode: failed.code, stdout: failed.stdout };
  }
}

describe('tqca hsm', () => {
  it('module-path prints the absolute path of the built software-token module', async () => {
    const { exitCode, stdout } = await tqca({}, 'hsm', 'module-path');
    expect(exitCode).toBe(0);
    expect(stdout.trim()).toMatch(/^\/.*\.so$/);
    expect(existsSync(stdout.trim())).toBe(true);
  });

  it('init creates the embedded token once; status and keys then report it', async () => {
    const env = { TQCA_DATA_DIR: mkdtempSync(join(tmpdir(), 'tqca-cli-hsm-')), TQCA_HSM_POOL_SIZE: '2' };
    const before = await tqca(env, 'hsm', 'status', '--json');
    expect(before.exitCode).toBe(1);
    expect(JSON.parse(before.stdout).error.code).toBe('HSM_TOKEN_NOT_FOUND');

    const created = await tqca(env, 'hsm', 'init', '--json');
    expect(created.exitCode).toBe(0);
    expect(JSON.parse(created.stdout).token).toMatchObject({ state: 'created', tokenLabel: 'tqca', store: join(env.TQCA_DATA_DIR, 'token') });
    const again = await tqca(env, 'hsm', 'init');
    expect(again).toEqual({ exitCode: 0, stdout: `WARNING: ${JSON.parse(created.stdout).signing.notice}\ntoken "tqca" exists already in ${join(env.TQCA_DATA_DIR, 'token')}\n` });
    // The creation is on the audit record of the CA database (the second run changed nothing).
    const db = await openDatabase({ dataDir: join(env.TQCA_DATA_DIR, 'db') });
    try {
      const events = await db.prisma.auditEvent.findMany({ where: { objectType: 'hsm' } });
      expect(events.map((e) => [e.action, e.actor, e.objectId])).toEqual([['hsm.tokenCreated', 'system', 'tqca']]);
      expect(events[0].details).toMatchObject({ state: 'created', store: join(env.TQCA_DATA_DIR, 'token'), rootKeysInUse: 0 });
    } finally {
      await db.close();
    }

    const status = await tqca(env, 'hsm', 'status', '--json');
    expect(status.exitCode).toBe(0);
    const health = JSON.parse(status.stdout).health;
    expect(JSON.parse(status.stdout).signing).toMatchObject({ pinSource: 'on-disk', evaluationOnly: true });
    expect((await tqca(env, 'hsm', 'status')).stdout).toMatch(/^WARNING: evaluation only: software token with its PIN on disk/);
    expect(health).toMatchObject({ profile: 'softtoken', algorithm: 'sm2', token: { label: 'tqca' }, canary: { label: 'tqca-canary' } });
    expect(health.mechanisms.filter((m: { selected?: boolean }) => m.selected)).toHaveLength(1);

    const keys = await tqca(env, 'hsm', 'keys');
    expect(keys.exitCode).toBe(0);
    expect(keys.stdout).toMatch(/^label\s+id\s+algorithm\s+public key/);
    expect(keys.stdout).toContain('tqca-canary');

    const foreign = await tqca({ ...env, TQCA_HSM_PROFILE: 'luna' }, 'hsm', 'status', '--json');
    expect(foreign.exitCode).toBe(1);
    expect(JSON.parse(foreign.stdout).error).toMatchObject({ code: 'HSM_MECHANISM_MISSING', details: { profile: 'luna' } });
    // Beyond the default timeout: the first init migrates a fresh embedded database.
  }, 240_000);
});
