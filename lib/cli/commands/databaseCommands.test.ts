/**
 * `tqca user …` and `tqca institution …` through the real binary, on the embedded PGlite
 * (TQCA_DB_DIR), and once on PostgreSQL (DATABASE_URL): sign-in from the environment, bootstrap, roles,
 * JSON and table output, exit codes, and one chained audit event per change.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freshDatabaseName, useTestCluster } from '../../../test/support/databases';
import { verifyStoredChain } from '../../audit';
import { openDatabase } from '../../db/client';
import { projectRoot, runTqca } from '../testSupport';

const PASSWORD = 'correct horse battery';
const run = promisify(execFile);

describe('tqca user and institution on the embedded PGlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tqca-db-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', TQCA_DB_DIR: join(dir, 'db'), TQCA_OPERATOR: '', TQCA_PASSWORD: '', TQCA_NEW_PASSWORD: '' };
  const as = (username: string, password = PASSWORD) => ({ ...env, TQCA_OPERATOR: username, TQCA_PASSWORD: password });
  const tqca = (args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}) => runTqca(args, { env: options.env ?? env, stdin: options.stdin });

  it('bootstraps the first administrator once, with the password from stdin, never also an officer', async () => {
    const both = await tqca(['user', 'create', 'mallory', '--bootstrap', '--roles', 'officer', '--name', 'M', '--password-stdin', '--json'], { stdin: `${PASSWORD}\n` });
    expect([both.exitCode, both.json.error.code]).toEqual([1, 'ROLE_CONFLICT']);
    const first = await tqca(['user', 'create', 'root.admin', '--bootstrap', '--name', 'Root Admin', '--password-stdin', '--json'], { stdin: `${PASSWORD}\n` });
    expect(first.exitCode).toBe(0);
    expect(first.json).toMatchObject({ valid: true, operator: { username: 'root.admin', displayName: 'Root Admin', roles: ['ADMIN'], status: 'ACTIVE' } });
    const again = await tqca(['user', 'create', 'second', '--bootstrap', '--name', 'Second', '--password-stdin', '--json'], { stdin: `${PASSWORD}\n` });
    expect([again.exitCode, again.json.error.code]).toEqual([1, 'OPERATOR_BOOTSTRAP_DONE']);
  }, 300_000);

  it('requires a signed-in operator: no credentials and no terminal, or a wrong password, exit 1', async () => {
    const none = await tqca(['user', 'list', '--json']);
    expect([none.exitCode, none.json.error.code]).toEqual([1, 'AUTHENTICATION_REQUIRED']);
    const wrong = await tqca(['user', 'list', '--json'], { env: as('root.admin', 'not the password') });
    expect([wrong.exitCode, wrong.json.error.code]).toEqual([1, 'AUTHENTICATION_FAILED']);
  }, 300_000);

  it('asks for the operator and password on a terminal, never echoing the password', async () => {
    const spec = { argv: [process.execPath, 'bin/tqca.cjs', 'user', 'list'], env: { TQCA_DB_DIR: env.TQCA_DB_DIR!, DATABASE_URL: '', TQCA_OPERATOR: '', TQCA_PASSWORD: '' }, dialogue: [['operator: ', 'root.admin'], ['password for root.admin: ', PASSWORD]] };
    const { stdout } = await run('python3', ['test/support/terminal_session.py', JSON.stringify(spec)], { cwd: projectRoot });
    const session = JSON.parse(stdout) as { output: string; exitCode: number };
    expect(session.exitCode).toBe(0);
    expect(session.output).toContain('operator: root.admin');
    expect(session.output).not.toContain(PASSWORD);
    expect(session.output).toMatch(/1 +root\.admin +Root Admin +ADMIN +ACTIVE/);
  }, 300_000);

  it('lets the administrator create an officer, whose one-time password allows only `user passwd`, and list operators as a table', async () => {
    const created = await tqca(['user', 'create', 'olivia', '--name', 'Olivia', '--roles', 'officer', '--json'], { env: as('root.admin') });
    expect(created.exitCode).toBe(0);
    expect(created.json.operator).toMatchObject({ username: 'olivia', roles: ['OFFICER'], mustChangePassword: true });
    const oneTime: string = created.json.oneTimePassword;
    expect(oneTime).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const early = await tqca(['institution', 'list', '--json'], { env: as('olivia', oneTime) });
    expect([early.exitCode, early.json.error.code]).toEqual([1, 'PASSWORD_CHANGE_REQUIRED']);
    const changed = await tqca(['user', 'passwd', '--password-stdin', '--json'], { env: as('olivia', oneTime), stdin: `${PASSWORD}\n` });
    expect(changed.json).toMatchObject({ valid: true, operator: { username: 'olivia', mustChangePassword: false }, firstRunSecretRemoved: false });
    const listed = await tqca(['user', 'list'], { env: as('root.admin') });
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout.split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['id', 'username', 'name', 'roles', 'status'],
      ['1', 'root.admin', 'Root Admin', 'ADMIN', 'ACTIVE'],
      ['2', 'olivia', 'Olivia', 'OFFICER', 'ACTIVE'],
      [''],
    ]);
    const forbidden = await tqca(['user', 'create', 'mallory', '--name', 'M', '--roles', 'admin', '--json'], { env: as('olivia') });
    expect([forbidden.exitCode, forbidden.json.error.code]).toEqual([1, 'OPERATOR_FORBIDDEN']);
  }, 300_000);

  it('registers, shows, lists and suspends an issuer as the officer', async () => {
    const created = await tqca(['institution', 'create', '--kind', 'issuer', '--name-zh', '北京市政交通一卡通', '--name-en', 'BMAC', '--contacts', '[{"name":"王伟","email":"wang@example.cn"}]', '--json'], { env: as('olivia') });
    expect(created.exitCode).toBe(0);
    expect(created.json.institution).toMatchObject({ kind: 'ISSUER', code: '00000001', nameZh: '北京市政交通一卡通', status: 'ACTIVE', contacts: [{ name: '王伟', email: 'wang@example.cn' }] });

    const shown = await tqca(['institution', 'show', 'issuer', '00000001'], { env: as('olivia') });
    expect(shown.stdout).toContain('code: 00000001\n');
    expect(shown.stdout).toContain('contacts: 王伟 / wang@example.cn\n');

    const suspended = await tqca(['institution', 'status', 'issuer', '00000001', 'suspended', '--reason', 'overdue settlement', '--json'], { env: as('olivia') });
    expect(suspended.json.institution.status).toBe('SUSPENDED');
    const listed = await tqca(['institution', 'list', '--kind', 'issuer', '--json'], { env: as('olivia') });
    expect(listed.json.institutions.map((i: { code: string; status: string }) => `${i.code} ${i.status}`)).toEqual(['00000001 SUSPENDED']);
    const missing = await tqca(['institution', 'show', 'acquirer', '00000001', '--json'], { env: as('olivia') });
    expect([missing.exitCode, missing.json.error.code]).toEqual([1, 'INSTITUTION_NOT_FOUND']);
  }, 300_000);

  it('rejects malformed arguments as usage errors (exit 2) before opening the database', async () => {
    const kind = await tqca(['institution', 'create', '--kind', 'bank', '--name-zh', 'x'], { env: as('olivia') });
    expect([kind.exitCode, kind.json.error.field]).toEqual([2, 'kind']);
    const contacts = await tqca(['institution', 'create', '--kind', 'issuer', '--name-zh', 'x', '--contacts', '[{"name":"a","fax":"1"}]'], { env: as('olivia') });
    expect([contacts.exitCode, contacts.json.error.field]).toEqual([2, 'contacts']);
    expect(contacts.stderr).toContain('unknown member fax');
    const code = await tqca(['institution', 'show', 'issuer', '0001'], { env: as('olivia') });
    expect([code.exitCode, code.json.error.field]).toEqual([2, 'code']);
  }, 300_000);

  it('left exactly one chained audit event per change (and per sign-in), no password among them', async () => {
    const db = await openDatabase({ dataDir: env.TQCA_DB_DIR });
    try {
      const all = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
      // Every command that signed someone in recorded it (the command line's channel).
      const signIns = all.filter((e) => e.action === 'operator.signIn.succeeded');
      expect(new Set(signIns.map((e) => e.actor))).toEqual(new Set(['root.admin', 'olivia']));
      expect(signIns.every((e) => (e.details as { channel?: string }).channel === 'cli')).toBe(true);
      const events = all.filter((e) => e.action !== 'operator.signIn.succeeded').map((e, i) => ({ ...e, seq: BigInt(i + 1) }));
      expect(events.map((e) => [e.seq, e.actor, e.action])).toEqual([
        [1n, 'system', 'operator.create'],
        [2n, 'system', 'operator.signInFailed'],
        [3n, 'root.admin', 'operator.create'],
        [4n, 'olivia', 'operator.passwordChanged'],
        [5n, 'olivia', 'institution.create'],
        [6n, 'olivia', 'institution.status'],
      ]);
      expect(JSON.stringify(all.map((e) => e.details))).not.toContain(PASSWORD);
      expect((await verifyStoredChain(db.prisma)).ok).toBe(true);
    } finally {
      await db.close();
    }
  });
});

// The services run on PostgreSQL in their own suites; this proves the CLI's DATABASE_URL wiring.
describe('tqca on PostgreSQL through DATABASE_URL', () => {
  const pg = useTestCluster();

  it('bootstraps and lists operators in the server database', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: await pg.cluster.createDatabase(freshDatabaseName()), TQCA_DB_DIR: '/nonexistent/never-used' };
    const created = await runTqca(['user', 'create', 'root.admin', '--bootstrap', '--name', 'Root', '--password-stdin', '--json'], { env, stdin: PASSWORD });
    expect(created.exitCode).toBe(0);
    const listed = await runTqca(['user', 'list', '--json'], { env: { ...env, TQCA_OPERATOR: 'root.admin', TQCA_PASSWORD: PASSWORD } });
    expect(listed.json.operators.map((o: { username: string }) => o.username)).toEqual(['root.admin']);
    const db = await openDatabase({ url: env.DATABASE_URL! });
    try {
      // The bootstrap, and the sign-in of the listing command.
      expect((await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } })).map((e) => e.action)).toEqual(['operator.create', 'operator.signIn.succeeded']);
    } finally {
      await db.close();
    }
  }, 300_000);
});
