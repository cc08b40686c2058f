/**
 * `tqca bundle publish|list|show` as separate processes against one PostgreSQL and the shared
 * software token: an officer publishes (audited as theirs), a second publish with nothing changed
 * answers the same version, list and show read the stored versions, and show --out writes the
 * stored bytes exactly.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runTqca } from '../../lib/cli/testSupport';
import { unwrap } from '../../lib/errors';
import { bundleByVersion } from '../../lib/publication';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { activeRootKey, issuedCertificate, PASSWORD, startHarness, type Harness } from './harness';

let postgres: TestPostgres;
let h: Harness;
let env: NodeJS.ProcessEnv;
let dir: string;

beforeAll(async () => {
  postgres = await startPostgres();
  const url = await postgres.createDatabase('clipublication');
  h = await startHarness({ url });
  env = { ...process.env, DATABASE_URL: url, ...h.token.env, TQCA_TOKEN_LABEL: h.token.tokenLabel, TQCA_HSM_PIN: h.token.pin, TQCA_HSM_POOL_SIZE: '2', TQCA_PASSWORD: PASSWORD };
  dir = mkdtempSync(join(tmpdir(), 'tqca-bundle-'));
}, 300_000);
afterAll(async () => {
  await h?.close();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const as = (operator: string, args: string[]) => runTqca(['--json', ...args], { env: { ...env, TQCA_OPERATOR: operator } });

it('publishes, lists and shows bundle versions', async () => {
  await activeRootKey(h, 0x92);
  await issuedCertificate(h, 1, { year: 2028, month: 3 }, 0x92);

  const first = await as('bob', ['bundle', 'publish']);
  expect(first.json, first.stderr).toMatchObject({ valid: true, version: 1, unchanged: false });
  expect((await as('alice', ['bundle', 'publish'])).json).toMatchObject({ valid: true, version: 1, unchanged: true });
  const event = await h.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'bundle.published' } });
  expect(event).toMatchObject({ actor: 'bob', objectId: '1' });

  expect((await as('alice', ['bundle', 'list'])).json).toMatchObject({ bundles: [{ version: 1, a2Count: 1, a3Count: 1, reason: 'operator' }] });
  const out = join(dir, 'v1.bin');
  const shown = await as('alice', ['bundle', 'show', '1', '--out', out]);
  expect(shown.json).toMatchObject({ valid: true, bundle: { version: 1, signingRootIndex: '92', a3Count: 1, out } });
  expect(new Uint8Array(readFileSync(out))).toEqual(unwrap(await bundleByVersion(h.ca, 1)));
  const missing = await as('alice', ['bundle', 'show', '2']);
  expect(missing).toMatchObject({ exitCode: 1, json: { valid: false, error: { code: 'BUNDLE_NOT_FOUND' } } });
}, 300_000);
