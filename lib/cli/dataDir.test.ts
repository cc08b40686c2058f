/**
 * The data directory as the `tqca` binary leaves it: owner-only whatever the umask (even when
 * `user create --bootstrap` is the first command to run), refused, with the path and the fix,
 * when someone has opened it up, and untouched by commands that only read. Bad input (control
 * characters in names, a data directory that is a file or damaged) is a typed error, never INTERNAL.
 */
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTqca } from './testSupport';

const PASSWORD = 'correct horse battery staple';
const scratch = mkdtempSync(join(tmpdir(), 'tqca-datadir-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const envFor = (dataDir: string) => ({
  DATABASE_URL: '',
  TQCA_DB_DIR: '',
  TQCA_TOKEN_DIR: '',
  TQCA_PKCS11_MODULE: '',
  TQCA_HSM_PIN: '',
  TQCA_HSM_PIN_FILE: '',
  TQCA_DATA_DIR: dataDir,
  TQCA_OPERATOR: 'root',
  TQCA_PASSWORD: PASSWORD,
  TQCA_NEW_PASSWORD: PASSWORD,
});

/** Every path under `root` (itself included) with its permission bits. */
function modes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (path: string) => {
    const stats = lstatSync(path);
    out[path] = (stats.mode & 0o777).toString(8);
    if (stats.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  walk(root);
  return out;
}

/** Runs with umask 000, as the most careless shell would: the modes must not depend on it. */
async function withUmask<T>(mask: number, run: () => Promise<T>): Promise<T> {
  const previous = process.umask(mask);
  try {
    return await run();
  } finally {
    process.umask(previous);
  }
}

const bootstrapped = join(scratch, 'modes', '.data');

/** Exit 1 with the typed error `expected`, and no stack trace on stderr. */
function expectTyped(run: Awaited<ReturnType<typeof runTqca>>, expected: Record<string, unknown>) {
  expect(run.exitCode, run.stderr).toBe(1);
  expect(run.json.error).toMatchObject(expected);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

describe('the data directory', () => {
  it('is owner-only after a bootstrap-first run, even under umask 000, and refused once opened up', async () => {
    const dataDir = bootstrapped;
    const created = await withUmask(0, () => runTqca(['user', 'create', 'root', '--bootstrap', '--name', 'Root'], { env: envFor(dataDir) }));
    expect(created.exitCode, created.stderr).toBe(0);
    const all = modes(dataDir);
    expect(Object.keys(all).length).toBeGreaterThan(100);
    const open = Object.entries(all).filter(([, mode]) => (parseInt(mode, 8) & 0o077) !== 0);
    expect(open).toEqual([]);

    chmodSync(join(dataDir, 'db'), 0o750);
    const refused = await runTqca(['user', 'list', '--json'], { env: envFor(dataDir) });
    expect(refused.exitCode).toBe(1);
    expect(refused.json.error).toMatchObject({ code: 'DATA_DIR_MODE', details: { path: join(dataDir, 'db'), mode: '0750' } });
    expect(refused.json.error.message).toContain(`chmod -R go= ${dataDir}`);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    chmodSync(join(dataDir, 'db'), 0o700);
    expect((await runTqca(['user', 'list'], { env: envFor(dataDir) })).exitCode).toBe(0);
  }, 120_000);

  it('is not created by any command that only reads: hsm status and keys, every list and show, --help', async () => {
    const parent = join(scratch, 'fresh');
    mkdirSync(parent);
    const env = envFor(join(parent, '.data'));
    const commands = [
      ['hsm', 'status'],
      ['hsm', 'keys'],
      ['hsm', 'module-path'],
      ['user', 'list'],
      ['institution', 'list'],
      ['institution', 'show', 'issuer', '00001001'],
      ['root', 'list'],
      ['request', 'list'],
      ['request', 'show', '1'],
      ['cert', 'list'],
      ['cert', 'list', '--expiring', '30', '--issuer', '00001001'],
      ['cert', 'show', '00000001'],
      ['cert', 'list', '--help'],
      ['user', '--help'],
    ];
    const runs = await Promise.all(commands.map((args) => runTqca(['--json', ...args], { env })));
    const codes = runs.map((run, i) => [commands[i].join(' '), run.json?.error?.code ?? run.exitCode]);
    expect(codes.filter(([, code]) => code === 'INTERNAL')).toEqual([]);
    expect(Object.fromEntries(codes)).toMatchObject({ 'hsm status': 'HSM_TOKEN_NOT_FOUND', 'user list': 'DB_NOT_FOUND', 'cert list': 'HSM_TOKEN_NOT_FOUND', 'user --help': 0 });
    expect(readdirSync(parent)).toEqual([]);
  }, 120_000);

  it('refuses control characters, bidi overrides and lone surrogates in names, contacts and reasons, naming the field', async () => {
    const env = envFor(bootstrapped);
    const tqca = (...args: string[]) => runTqca(['--json', ...args], { env });
    const contactsFile = join(scratch, 'contacts.json');
    writeFileSync(contactsFile, '[{"name": "Li"}, {"name": "Wang\\ud800"}]');
    // One at a time: the embedded database has one owner.
    const displayName = await tqca('user', 'create', 'eve', '--roles', 'AUDITOR', '--name', 'Eve\u001b[2K\radmin');
    const nameZh = await tqca('institution', 'create', '--kind', 'issuer', '--name-zh', '公交\u202e');
    const contactNul = await tqca('institution', 'create', '--kind', 'issuer', '--name-zh', '公交', '--contacts', '[{"name": "Li"}, {"name": "a\\u0000b"}]');
    const contactSurrogate = await tqca('institution', 'create', '--kind', 'issuer', '--name-zh', '公交', '--contacts', `@${contactsFile}`);
    const created = await tqca('institution', 'create', '--kind', 'issuer', '--name-zh', '公交', '--code', '00001001');
    expectTyped(displayName, { code: 'OPERATOR_INVALID', field: 'displayName', details: { codePoint: 0x1b } });
    expectTyped(nameZh, { code: 'INSTITUTION_INVALID', field: 'nameZh', details: { codePoint: 0x202e } });
    // Contacts are parsed with the arguments: a usage error (exit 2) whose cause names the member.
    for (const [run, codePoint] of [[contactNul, 0], [contactSurrogate, 0xd800]] as const) {
      expect(run.exitCode).toBe(2);
      expect(run.json.error.details.cause).toMatchObject({ code: 'CONTACTS_INVALID', field: 'contacts[1].name', details: { codePoint } });
    }
    expect(created.exitCode, created.stderr).toBe(0);
    expectTyped(await tqca('institution', 'status', 'issuer', '00001001', 'suspended', '--reason', 'audit\u0085'), {
      code: 'INSTITUTION_INVALID',
      field: 'reason',
    });
  }, 120_000);

  it('is a typed error naming the path when TQCA_DATA_DIR is a file or the database directory is damaged', async () => {
    const file = join(scratch, 'not-a-directory');
    writeFileSync(file, 'x');
    const [dbCommand, caCommand] = await Promise.all([
      runTqca(['--json', 'user', 'list'], { env: envFor(file) }),
      runTqca(['--json', 'cert', 'list'], { env: envFor(file) }),
    ]);
    expectTyped(dbCommand, { code: 'DATA_DIR_NOT_DIRECTORY', details: { path: file } });
    expectTyped(caCommand, { code: 'HSM_CONFIG_INVALID', field: 'TQCA_DATA_DIR', details: { path: file } });

    const damaged = join(scratch, 'damaged', '.data');
    cpSync(bootstrapped, damaged, { recursive: true });
    truncateSync(join(damaged, 'db', 'global', 'pg_control'), 0);
    expectTyped(await runTqca(['--json', 'user', 'list'], { env: envFor(damaged) }), { code: 'DB_DAMAGED', details: { dataDir: join(damaged, 'db') } });
  }, 120_000);
});
