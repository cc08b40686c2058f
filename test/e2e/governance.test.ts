/**
 * The attack from the governance issue, scripted through the real `tqca` binary on a fresh
 * embedded database and software token: one person (mallory) tries to be administrator and
 * officer at once, then to run a ceremony before the seal, then to add an officer alone after
 * it. Each is refused; with a colluding second administrator every operator change needs both,
 * and the governance report, replayed from the audit chain, names both.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { softToken } from '../../hsm/testTokens';
import { projectRoot, runTqca } from '../../lib/cli/testSupport';
import { openDatabase } from '../../lib/db/client';

const PASSWORD = 'correct horse battery staple';
const dir = mkdtempSync(join(tmpdir(), 'tqca-governance-'));
const token = softToken('softtoken');
afterAll(() => {
  token.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const base: NodeJS.ProcessEnv = {
  ...process.env,
  ...token.env,
  DATABASE_URL: '',
  TQCA_DB_DIR: join(dir, 'db'),
  TQCA_DATA_DIR: dir,
  TQCA_TOKEN_LABEL: token.tokenLabel,
  TQCA_HSM_PIN: token.pin,
  TQCA_HSM_POOL_SIZE: '2',
  TQCA_OPERATOR: '',
  TQCA_PASSWORD: '',
  TQCA_NEW_PASSWORD: '',
};
const as = (operator: string, args: string[], password = PASSWORD, stdin?: string) =>
  runTqca(['--json', ...args], { env: { ...base, TQCA_OPERATOR: operator, TQCA_PASSWORD: password }, stdin });

async function ok(operator: string, args: string[], password?: string, stdin?: string) {
  const run = await as(operator, args, password, stdin);
  expect(run.json?.error, `${args.join(' ')}: ${run.stderr}`).toBeUndefined();
  return run.json;
}

async function refused(operator: string, args: string[], code: string) {
  const run = await as(operator, args);
  expect([run.exitCode, run.json?.error?.code], run.stderr).toEqual([1, code]);
}

/** An account created with a one-time password: its holder replaces it before anything else. */
async function takeOver(username: string, oneTimePassword: string) {
  await ok(username, ['user', 'passwd', '--password-stdin'], oneTimePassword, `${PASSWORD}\n`);
}

describe('one person cannot be two', () => {
  it('refuses ADMIN+OFFICER, a ceremony before the seal, and an officer added by one administrator; the report names both colluders', async () => {
    const both = await runTqca(['--json', 'user', 'create', 'mallory', '--bootstrap', '--roles', 'OFFICER', '--name', 'M', '--password-stdin'], { env: base, stdin: PASSWORD });
    expect(both.json.error.code).toBe('ROLE_CONFLICT');
    await ok('', ['user', 'create', 'mallory', '--bootstrap', '--name', 'Mallory', '--password-stdin'], '', PASSWORD);
    await refused('mallory', ['user', 'create', 'mallory.o', '--name', 'M', '--roles', 'ADMIN,OFFICER'], 'ROLE_CONFLICT');

    // Bootstrap: mallory alone invents the set — a second administrator (the colluder) and two officers.
    for (const [username, role] of [['trent', 'ADMIN'], ['mallory.o', 'OFFICER'], ['mallory.p', 'OFFICER']]) {
      const created = await ok('mallory', ['user', 'create', username, '--name', username, '--roles', role]);
      await takeOver(username, created.oneTimePassword);
    }
    await refused('mallory.o', ['root', 'create', '--index', '90', '--environment', 'test', '--expiry', '311231'], 'GOVERNANCE_NOT_SEALED');
    const sealed = await ok('mallory', ['governance', 'seal']);
    expect(sealed.seal.operators.map((o: { username: string }) => o.username)).toEqual(['mallory', 'trent', 'mallory.o', 'mallory.p']);

    // After the seal: mallory's new officer stays pending until trent approves; mallory cannot.
    const asked = await ok('mallory', ['user', 'create', 'mallory.q', '--name', 'Q', '--roles', 'OFFICER']);
    expect([asked.request.state, asked.operator, asked.oneTimePassword]).toEqual(['PENDING', null, undefined]);
    await refused('mallory', ['user', 'approve', String(asked.request.id)], 'DUAL_CONTROL_SAME_ADMINISTRATOR');
    await refused('mallory.q', ['user', 'list'], 'AUTHENTICATION_FAILED');
    const approved = await ok('trent', ['user', 'approve', String(asked.request.id)]);
    expect(approved).toMatchObject({ request: { state: 'APPROVED', requestedBy: 'mallory', decidedBy: 'trent' }, operator: { username: 'mallory.q', mustChangePassword: true } });
    // A ceremony may start now (officers only; the second officer approves it, as lib/ca tests show).
    await ok('mallory.o', ['root', 'create', '--index', '90', '--environment', 'test', '--expiry', '311231']);

    const report = await ok('trent', ['governance', 'report']);
    expect(report.report.violations).toEqual([]);
    expect(report.report.operators.find((o: { username: string }) => o.username === 'mallory.q')).toMatchObject({ createdBy: 'trent', requestedBy: 'mallory' });
    expect(report.report.dualControl).toMatchObject([{ action: 'operatorChange', participants: ['mallory', 'trent'] }]);
    expect(report.report.sealed).toMatchObject({ by: 'mallory', operators: ['mallory', 'mallory.o', 'mallory.p', 'trent'] });
  }, 1_200_000);

  it('resets a password only with a second administrator: the approver alone sees the one-time password, which allows only `user passwd`', async () => {
    const asked = await ok('mallory', ['user', 'reset-password', 'mallory.p']);
    expect([asked.request.kind, asked.request.state, asked.oneTimePassword]).toEqual(['RESET_PASSWORD', 'PENDING', undefined]);
    await refused('mallory', ['user', 'approve', String(asked.request.id)], 'DUAL_CONTROL_SAME_ADMINISTRATOR');
    const approved = await as('trent', ['user', 'approve', String(asked.request.id)]);
    expect(approved.json).toMatchObject({ request: { state: 'APPROVED', requestedBy: 'mallory', decidedBy: 'trent' }, operator: { username: 'mallory.p', mustChangePassword: true } });
    const oneTime: string = approved.json.oneTimePassword;
    expect(oneTime).toMatch(/^[A-Za-z0-9_-]{24}$/);
    await refused('mallory.p', ['root', 'list'], 'AUTHENTICATION_FAILED');
    expect((await as('mallory.p', ['root', 'list'], oneTime)).json.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
    await takeOver('mallory.p', oneTime);
    // Shown to the approver once: neither the request's record nor the audit log holds it.
    const db = await openDatabase({ dataDir: base.TQCA_DB_DIR });
    try {
      expect(JSON.stringify((await db.prisma.operatorChangeRequest.findUniqueOrThrow({ where: { id: asked.request.id } })).payload)).not.toContain(oneTime);
      expect(JSON.stringify((await db.prisma.auditEvent.findMany()).map((e) => e.details))).not.toContain(oneTime);
    } finally {
      await db.close();
    }
  }, 600_000);
});

describe('the first-run administrator', () => {
  it('gets a one-time password that allows only `user passwd`, which deletes its file; it is never logged', async () => {
    const data = mkdtempSync(join(tmpdir(), 'tqca-first-run-'));
    try {
      const env = { ...base, TQCA_DATA_DIR: data, TQCA_DB_DIR: join(data, 'db') };
      const setup = spawnSync('npx', ['tsx', 'scripts/console-setup.ts'], { cwd: projectRoot, env, encoding: 'utf8' });
      expect(setup.status, setup.stderr).toBe(0);
      const file = join(data, 'secrets', 'first-run-admin');
      const [username, oneTime] = readFileSync(file, 'utf8').split('\n');
      expect(setup.stdout).toContain(oneTime); // printed once, on the terminal that ran the first start
      const run = (args: string[], password: string, stdin?: string) => runTqca(['--json', ...args], { env: { ...env, TQCA_OPERATOR: username, TQCA_PASSWORD: password }, stdin });
      expect((await run(['user', 'list'], oneTime)).json.error.code).toBe('PASSWORD_CHANGE_REQUIRED');
      const changed = await run(['user', 'passwd', '--password-stdin'], oneTime, `${PASSWORD}\n`);
      expect(changed.json).toMatchObject({ valid: true, firstRunSecretRemoved: true, operator: { username: 'admin', mustChangePassword: false } });
      expect(existsSync(file)).toBe(false);
      const db = await openDatabase({ dataDir: env.TQCA_DB_DIR });
      try {
        const events = await db.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
        expect(events.map((e) => [e.actor, e.action])).toEqual([
          ['system', 'operator.create'],
          ['admin', 'operator.passwordChanged'],
        ]);
        expect(JSON.stringify(events.map((e) => e.details))).not.toContain(oneTime);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 600_000);
});
