/**
 * The application role on the throwaway PostgreSQL: the owner migrates and runs
 * `tqca db grant-app-role`; as the role, the log tables refuse UPDATE, DELETE, TRUNCATE and
 * trigger changes by privilege (not only by their triggers), and the CA works normally.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeRootKey, issuedCertificate, startHarness, type Harness } from '../../../test/e2e/harness';
import { useTestCluster } from '../../../test/support/databases';
import { approveAuditKey, requestAuditKey, signLogCheckpoint, verifyLiveLog } from '../../ca';
import { openDatabase } from '../../db/client';
import { LOG_TABLES } from '../../db/appRole';
import { unwrap } from '../../errors';
import { runTqca } from '../testSupport';

/** A column of each log table, for the UPDATE attempt. */
const A_COLUMN: Readonly<Record<string, string>> = { audit_event: 'hash', audit_leaf: 'hash', audit_node: 'hash', audit_key: 'vkey', audit_checkpoint: 'note', audit_witness_key: 'vkey', audit_cosignature: 'line' };

const pg_ = useTestCluster();
let ownerUrl: string;
let appUrl: string;
let h: Harness;
let app: pg.Client;

const asRole = (url: string, role: string) => {
  const u = new URL(url);
  u.username = role;
  return u.toString();
};

beforeAll(async () => {
  ownerUrl = await pg_.cluster.createDatabase('approle');
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  await owner.query('CREATE ROLE tqca_app LOGIN');
  await owner.query('CREATE ROLE tqca_owner_friend LOGIN IN ROLE tqca');
  await owner.end();
  // Migrate as the owner (the role cannot), then grant.
  await (await openDatabase({ url: ownerUrl })).close();
}, 120_000);
afterAll(async () => {
  await app?.end();
  await h?.close();
});

describe('tqca db grant-app-role', () => {
  it('refuses a superuser, a member of the owner, an unknown role and the embedded database', async () => {
    const env = { DATABASE_URL: ownerUrl };
    for (const role of ['tqca', 'tqca_owner_friend', 'nobody_here']) {
      const refused = await runTqca(['db', 'grant-app-role', role, '--json'], { env });
      expect([refused.exitCode, refused.json.error.code, refused.json.error.field]).toEqual([1, 'DB_APP_ROLE_REFUSED', 'role']);
    }
    const embedded = await runTqca(['db', 'grant-app-role', 'tqca_app', '--json'], { env: { DATABASE_URL: '', TQCA_DB_DIR: 'memory://x' } });
    expect([embedded.exitCode, embedded.json.error.code]).toEqual([1, 'DB_APP_ROLE_REFUSED']);
  }, 120_000);

  it('grants INSERT and SELECT only on the log tables, and records it in the audit log', async () => {
    const granted = await runTqca(['db', 'grant-app-role', 'tqca_app', '--json'], { env: { DATABASE_URL: ownerUrl } });
    expect(granted.exitCode).toBe(0);
    for (const table of LOG_TABLES.filter((t) => t in granted.json.tables)) expect(granted.json.tables[table]).toBe('SELECT, INSERT');
    expect(granted.json.tables.audit_event).toBe('SELECT, INSERT');
    expect(granted.json.tables.certificate).toBe('SELECT, INSERT, UPDATE, DELETE');
    const owner = await openDatabase({ url: ownerUrl, migrate: false });
    try {
      expect(await owner.prisma.auditEvent.count({ where: { action: 'database.appRole.granted', objectId: 'tqca_app' } })).toBe(1);
    } finally {
      await owner.close();
    }
  }, 120_000);

  it('as the application role, the whole CA works: operators, a root-key ceremony, issuance, the audit key, a checkpoint, the live check', async () => {
    appUrl = asRole(ownerUrl, 'tqca_app');
    h = await startHarness({ url: appUrl });
    const [{ current_user }] = await h.db.prisma.$queryRaw<{ current_user: string }[]>`SELECT current_user`;
    expect(current_user).toBe('tqca_app');
    await activeRootKey(h, 0x81);
    await issuedCertificate(h, 1, { year: 2028, month: 6 }, 0x81);
    unwrap(await approveAuditKey(h.ca, h.bob, unwrap(await requestAuditKey(h.ca, h.alice, 'tqca.test/approle')).id));
    unwrap(await signLogCheckpoint(h.ca, h.alice, 'operator'));
    expect(unwrap(await verifyLiveLog(h.ca.prisma)).checkpointSize).toBeGreaterThan(0);
  }, 300_000);

  it('as the application role, UPDATE, DELETE, TRUNCATE and DISABLE TRIGGER on every log table are refused by privilege', async () => {
    app = new pg.Client({ connectionString: appUrl });
    await app.connect();
    const { rows } = await app.query<{ name: string }>(`SELECT relname AS name FROM pg_class WHERE relname = ANY($1) AND relkind = 'r'`, [[...LOG_TABLES]]);
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(['audit_event', 'audit_leaf', 'audit_key', 'audit_checkpoint']));
    for (const { name } of rows) {
      await expect(app.query(`UPDATE ${name} SET ${A_COLUMN[name]} = ${A_COLUMN[name]}`)).rejects.toThrow(`permission denied for table ${name}`);
      await expect(app.query(`DELETE FROM ${name}`)).rejects.toThrow(`permission denied for table ${name}`);
      await expect(app.query(`TRUNCATE ${name}`)).rejects.toThrow(`permission denied for table ${name}`);
      await expect(app.query(`ALTER TABLE ${name} DISABLE TRIGGER USER`)).rejects.toThrow(`must be owner of table ${name}`);
    }
    await expect(app.query(`DELETE FROM audit_chain_head`)).rejects.toThrow('permission denied for table audit_chain_head');
    await expect(app.query(`DROP TRIGGER audit_event_no_update ON audit_event`)).rejects.toThrow("must be owner of relation audit_event");
    // Still allowed: what the CA needs.
    expect((await app.query('SELECT count(*)::int AS n FROM audit_event')).rows[0].n).toBeGreaterThan(0);
  }, 120_000);
});
