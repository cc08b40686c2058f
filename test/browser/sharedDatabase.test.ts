/**
 * The real console server (`next start`, from the browser suite's global setup) holds the
 * embedded database and serves it: a command-line process run beside it joins through the socket
 * instead of failing with DB_IN_USE, and sees the schema the console migrated.
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { expect, inject, it } from 'vitest';
import { projectRoot } from '../../lib/cli/testSupport';

const dataDir = dirname(dirname(inject('firstRunFile')));

it('lets a command reach the database the running console holds', () => {
  const run = spawnSync(process.execPath, ['scripts/db-migrate.mjs'], { cwd: projectRoot, env: { ...process.env, TQCA_DATA_DIR: dataDir, DATABASE_URL: '' }, encoding: 'utf8' });
  expect(run.stderr).not.toContain('DB_IN_USE');
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout.trim()).toBe(`pglite ${dataDir}/db: up to date`);
});
