/** openCa takes its whole configuration from the environment it is given, not from the process's. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unwrap } from '../errors';
import { DEFAULT_PUBLICATION_POLICY } from '../publication';
import { openCa, publicationPolicyFrom } from './openCa';

const dataDir = mkdtempSync(join(tmpdir(), 'tqca-open-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('openCa', () => {
  it('keeps the embedded database, token and secrets under the given TQCA_DATA_DIR', async () => {
    const opened = unwrap(await openCa({ TQCA_DATA_DIR: dataDir }));
    await opened.close();
    for (const part of ['db/PG_VERSION', 'token', 'secrets/token-pin']) expect(existsSync(join(dataDir, part)), part).toBe(true);
  });
});

describe('publicationPolicyFrom', () => {
  it('defaults to the policy’s own seconds (7 days, 1 day lead) and reads settings as hours', () => {
    // The defaults were once taken as hours and multiplied by none: a 168-second bundle lifetime.
    expect(unwrap(publicationPolicyFrom({}))).toEqual(DEFAULT_PUBLICATION_POLICY);
    expect(unwrap(publicationPolicyFrom({ TQCA_BUNDLE_LIFETIME_HOURS: '48' }))).toEqual({ lifetimeSeconds: 48 * 3600, leadSeconds: 86_400 });
    expect(publicationPolicyFrom({ TQCA_BUNDLE_LIFETIME_HOURS: '12' }).ok).toBe(false);
  });
});
