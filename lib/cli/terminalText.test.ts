/**
 * Names from the database reach the operator's terminal escaped: a display name carrying
 * `ESC[2K\r` (erase the line, return) could otherwise overwrite its own row with a forged one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootstrapAdministrator } from '../ca/operators';
import { openDatabase } from '../db/client';
import { unwrap } from '../errors';
import { details, table } from './commands/caSession';
import { renderJson } from './main';
import { terminalSafe } from './terminalText';
import { runTqca } from './testSupport';

const FORGED = 'mallory\u001b[2K\radmin  Root Admin  ADMIN  ACTIVE';
const dataDir = mkdtempSync(join(tmpdir(), 'tqca-terminal-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('terminal-safe text', () => {
  it('escapes C0, DEL, C1, bidi overrides and isolates, and doubles backslashes', () => {
    expect(terminalSafe('a\u0000b\tc\nd\u007fe\u009bf\u202eg\u2066h\\i 张三')).toBe('a\\x00b\\x09c\\x0ad\\x7fe\\x9bf\\u202eg\\u2066h\\\\i 张三');
    expect(table([{ name: FORGED }], [['name', (r) => r.name]])).toBe('name\nmallory\\x1b[2K\\x0dadmin  Root Admin  ADMIN  ACTIVE\n');
    expect(details({ name: 'x\u202e' })).toBe('name: x\\u202e\n');
  });

  it('keeps JSON output free of raw DEL, C1 and bidi characters, decoding to the same value', () => {
    const value = { name: 'a\u001b\u007f\u0085\u202eb\u2069' };
    const json = renderJson(value);
    expect(json).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('prints a stored display name with ESC[2K\\r as one escaped row of `tqca user list`', async () => {
    const db = await openDatabase({ dataDir: join(dataDir, 'db') });
    try {
      const ctx = { prisma: db.prisma, now: () => new Date() };
      unwrap(await bootstrapAdministrator(ctx, { username: 'root', displayName: 'Root Admin', password: 'correct horse battery staple' }));
      // Stored before names were checked (or written by another tool): the table must still be safe.
      const { passwordHash } = await db.prisma.operator.findUniqueOrThrow({ where: { username: 'root' } });
      await db.prisma.operator.create({ data: { username: 'mallory', displayName: FORGED, passwordHash, roles: ['AUDITOR'], createdAt: new Date(), updatedAt: new Date() } });
    } finally {
      await db.close();
    }
    const run = await runTqca(['user', 'list'], { env: { TQCA_DATA_DIR: dataDir, TQCA_OPERATOR: 'root', TQCA_PASSWORD: 'correct horse battery staple' } });
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toMatch(/[\u001b\r]/);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('mallory\\x1b[2K\\x0dadmin');
  }, 60_000);
});
