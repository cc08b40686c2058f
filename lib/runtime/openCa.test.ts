/** openCa takes its whole configuration from the environment it is given, not from the process's. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unwrap } from '../errors';
import { openCa } from './openCa';

const dataDir = mkdtempSync(join(tmpdir(), 'tqca-open-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('openCa', () => {
  it('keeps the embedded database, token and secrets under the given TQCA_DATA_DIR', async () => {
    const opened = unwrap(await openCa({ TQCA_DATA_DIR: dataDir }));
    await opened.close();
    for (const part of ['db/PG_VERSION', 'token', 'secrets/token-pin']) expect(existsSync(join(dataDir, part)), part).toBe(true);
  });
});
