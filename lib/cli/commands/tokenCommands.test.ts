/**
 * `tqca token …` and `tqca distribution status` through the real binary on the embedded PGlite:
 * the secret printed once and never listed, revocation with its reason (roles: lib/ca/apiTokens.test.ts), and
 * the distribution table for an acquirer that has polled nothing yet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTqca } from '../testSupport';

const PASSWORD = 'correct horse battery staple';

describe('tqca token and distribution', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tqca-token-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', TQCA_DB_DIR: join(dir, 'db'), TQCA_OPERATOR: 'admin', TQCA_PASSWORD: PASSWORD };
  const tqca = (args: string[]) => runTqca(args, { env, stdin: `${PASSWORD}\n` });
  const expires = new Date(Date.now() + 90 * 24 * 3600 * 1000).toISOString();

  it('creates a token shown once, lists it without the secret, and revokes it', { timeout: 240_000 }, async () => {
    expect((await tqca(['user', 'create', 'admin', '--bootstrap', '--name', 'Admin', '--password-stdin', '--json'])).exitCode).toBe(0);
    const acquirer = (await tqca(['institution', 'create', '--kind', 'acquirer', '--name-zh', '收单甲', '--json'])).json.institution;

    const created = await tqca(['token', 'create', 'acquirer', acquirer.code, '--label', 'TMS 1', '--expires', expires]);
    expect(created.exitCode).toBe(0);
    const secret = /token \(shown once, store it now\): (tqt_[0-9a-f]{16}_[A-Za-z0-9_-]{43})/.exec(created.stdout)?.[1];
    expect(secret, created.stdout).toBeDefined();
    const id = secret!.slice(4, 20);

    const listed = await tqca(['token', 'list', '--json']);
    expect(listed.json.tokens).toEqual([expect.objectContaining({ id, scope: 'ACQUIRER', label: 'TMS 1', revokedAt: null })]);
    expect(listed.stdout).not.toContain(secret!.slice(21));

    const refused = await tqca(['token', 'create', 'issuer', acquirer.code, '--label', 'x', '--expires', expires, '--json']);
    expect([refused.exitCode, refused.json.error.code]).toEqual([1, 'INSTITUTION_NOT_FOUND']);
    const revoked = await tqca(['token', 'revoke', id, '--reason', 'host decommissioned', '--json']);
    expect(revoked.json.token).toMatchObject({ id, revokeReason: 'host decommissioned' });
    expect((await tqca(['token', 'revoke', id, '--reason', 'again', '--json'])).json.error.code).toBe('API_TOKEN_ALREADY_REVOKED');
    expect((await tqca(['token', 'revoke', 'nothex', '--reason', 'x', '--json'])).exitCode).toBe(2);

    const status = await tqca(['distribution', 'status', '--json']);
    expect(status.json?.distribution, status.stdout + status.stderr).toBeDefined();
    expect(status.json.distribution.latest).toBeNull();
    expect(status.json.distribution.acquirers).toEqual([expect.objectContaining({ code: acquirer.code, status: 'never', lastPollAt: null, acknowledgedVersion: null, alarms: 0 })]);
    // Nothing is published yet: "who has not acknowledged version 1" names a version that does not exist.
    expect((await tqca(['distribution', 'status', '--version', '1', '--json'])).json.error.code).toBe('BUNDLE_NOT_FOUND');
  });
});
