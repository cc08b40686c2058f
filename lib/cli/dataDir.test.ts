/**
 * The data directory as the `tqca` binary leaves it: owner-only whatever the umask (even when
 * `user create --bootstrap` is the first command to run), and refused, with the path and the fix,
 * when someone has opened it up.
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTqca } from './testSupport';

const PASSWORD = 'correct horse battery staple';
const scratch = mkdtempSync(join(tmpdir(), 'tqca-datadir-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const envFor = (dataDir: string) => ({ DATABASE_URL: '', TQCA_DB_DIR: '', TQCA_DATA_DIR: dataDir, TQCA_OPERATOR: 'root', TQCA_PASSWORD: PASSWORD, TQCA_NEW_PASSWORD: PASSWORD });

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

describe('the data directory', () => {
  it('is owner-only after a bootstrap-first run, even under umask 000, and refused once opened up', async () => {
    const dataDir = join(scratch, 'modes', '.data');
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
});
