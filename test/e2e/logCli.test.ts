/**
 * The log's database commands through the `tqca` binary on PostgreSQL: the audit-key ceremony by
 * two officers, a checkpoint, an auditor's export that the offline `tqca log verify` accepts under
 * the published key, and the live check failing once the table owner rewrites a row.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTqca } from '../../lib/cli/testSupport';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { addOperator, PASSWORD, startHarness, type Harness } from './harness';

let postgres: TestPostgres;
let h: Harness;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  postgres = await startPostgres();
  const url = await postgres.createDatabase('logcli');
  h = await startHarness({ url });
  await addOperator(h, 'carol', 'AUDITOR');
  env = { DATABASE_URL: url, ...h.token.env, TQCA_TOKEN_LABEL: h.token.tokenLabel, TQCA_HSM_PIN: h.token.pin, TQCA_HSM_POOL_SIZE: '2' };
  dir = await mkdtemp(join(tmpdir(), 'tqca-logcli-'));
}, 120_000);
afterAll(async () => {
  await h?.close();
  await postgres?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const as = (operator: string, args: string[]) => runTqca(['--json', ...args], { env: { ...process.env, ...env, TQCA_OPERATOR: operator, TQCA_PASSWORD: PASSWORD } });

async function ok(operator: string, args: string[]) {
  const run = await as(operator, args);
  expect(run.json?.error, `${args.join(' ')}: ${run.stderr}`).toBeUndefined();
  expect(run.exitCode).toBe(0);
  return run.json;
}

describe('tqca log against the CA', () => {
  it('makes the audit key by two officers, exports for an auditor, and the export verifies offline under the published key', async () => {
    const requested = await ok('alice', ['log', 'audit-key-request', '--origin', 'tqca.test/audit']);
    const same = await as('alice', ['log', 'audit-key-approve', String(requested.ceremony.id)]);
    expect(same.json).toMatchObject({ valid: false, error: { code: 'DUAL_CONTROL_SAME_OFFICER' } });
    const key = (await ok('bob', ['log', 'audit-key-approve', String(requested.ceremony.id)])).auditKey;
    expect((await ok('carol', ['log', 'audit-key'])).auditKey).toEqual(key);
    await ok('alice', ['log', 'checkpoint']);

    const refused = await as('admin', ['log', 'export', '--out', join(dir, 'no.jsonl')]);
    expect(refused.json).toMatchObject({ valid: false, error: { code: 'OPERATOR_FORBIDDEN' } });
    const out = join(dir, 'log.jsonl');
    const exported = await ok('carol', ['log', 'export', '--out', out]);
    const verified = await runTqca(['--json', 'log', 'verify', '--audit-key', key.publicKey, out]);
    expect(verified.exitCode, verified.stderr).toBe(0);
    expect(verified.json).toMatchObject({ valid: true, entries: exported.checkpoint.size });
    expect((await readFile(out, 'utf8')).split('\n').filter((l) => l.includes('"type":"checkpoint"'))).toHaveLength(2);
    await ok('carol', ['log', 'verify', '--live']);
    expect(await ok('carol', ['log', 'reconcile'])).toMatchObject({ valid: true, mismatches: [] });
  }, 300_000);

  it('verify --live fails with AUDIT_LOG_TAMPERED after the owner rewrites a row, as does its older name verify-live', async () => {
    await h.db.prisma.$executeRawUnsafe(`ALTER TABLE audit_event DISABLE TRIGGER USER`);
    await h.db.prisma.$executeRawUnsafe(`UPDATE audit_event SET actor = 'mallory' WHERE seq = 2`);
    await h.db.prisma.$executeRawUnsafe(`ALTER TABLE audit_event ENABLE TRIGGER USER`);
    for (const command of [['verify', '--live'], ['verify-live']]) {
      const run = await as('carol', ['log', ...command]);
      expect(run.json).toMatchObject({ valid: false, error: { code: 'AUDIT_LOG_TAMPERED' } });
      expect(run.exitCode).toBe(1);
    }
    // A signing command in a new process stops too.
    const signing = await as('alice', ['log', 'checkpoint']);
    expect(signing.json).toMatchObject({ valid: false, error: { code: 'AUDIT_LOG_TAMPERED' } });
  }, 300_000);
});
