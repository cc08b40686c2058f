/**
 * Two processes publishing at once on one PostgreSQL: each revokes its own certificates and
 * publishes after every revocation, interleaved. Versions are consecutive from 1 with no number
 * twice, each is accepted by a client holding its predecessor, and the last one revokes all.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyBundle, type TrustedRoot } from '../../lib/codec';
import { sm2 } from '../../lib/crypto/sm2';
import { unwrap } from '../../lib/errors';
import { bundleByVersion, publish } from '../../lib/publication';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { issueCertificate } from '../../lib/ca';
import { childCaSpec } from './childCa';
import { activeRootKey, approvedRequests, CENTER_ID, startHarness, type Harness } from './harness';
import type { PublicationChildSpec } from './publicationChild';

const CHILD = fileURLToPath(new URL('./publicationChild.ts', import.meta.url));
let postgres: TestPostgres;
let url: string;
let h: Harness;

beforeAll(async () => {
  postgres = await startPostgres();
  url = await postgres.createDatabase('publication');
  h = await startHarness({ url });
}, 300_000);
afterAll(async () => {
  await h?.close();
  await postgres?.stop();
});

function publisher(revoke: number[]): Promise<{ code: number | null; lines: Record<string, unknown>[]; stderr: string }> {
  const spec: PublicationChildSpec = { ...childCaSpec(h, { url }), revoke };
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ...h.token.env, TQCA_PUBLICATION_CHILD: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stderr, lines: stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) })),
  );
}

it('gives consecutive versions, never two bundles with one number', async () => {
  await activeRootKey(h, 0x01);
  const numbers: number[] = [];
  for (const id of await approvedRequests(h, 0x01, 4, 3)) numbers.push(parseInt(unwrap(await issueCertificate(h.ca, h.bob, id)).number, 16));
  unwrap(await publish(h.ca, 'operator'));

  const [a, b] = await Promise.all([publisher(numbers.filter((_, i) => i % 2 === 0)), publisher(numbers.filter((_, i) => i % 2 === 1))]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
  const lines = [...a.lines, ...b.lines];
  expect(lines.filter((l) => 'code' in l)).toEqual([]);
  const fresh = lines.filter((l) => !l.unchanged).map((l) => l.version as number);
  expect(new Set(fresh).size).toBe(fresh.length);
  // Both processes published versions of their own: the publications did interleave.
  for (const p of [a, b]) expect(p.lines.some((l) => !l.unchanged)).toBe(true);

  const rows = await h.db.prisma.publishedBundle.findMany({ orderBy: { version: 'asc' }, select: { version: true, publishedAt: true } });
  expect(rows.map((r) => r.version)).toEqual(rows.map((_, i) => i + 1));
  expect(rows.length).toBeGreaterThanOrEqual(2);
  const root = await h.db.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x01 } });
  let trusted: readonly TrustedRoot[] = [{ rootKeyIndex: 0x01, publicKey: unwrap(sm2.publicKeyFromBytes(root.publicKey)) }];
  let previous: Uint8Array | undefined;
  for (const r of rows) {
    const bytes = unwrap(await bundleByVersion(h.ca, r.version));
    const verified = unwrap(verifyBundle({ bundle: bytes, trustedRoots: trusted, previous, centerId: CENTER_ID, now: r.publishedAt }));
    trusted = verified.trustedRoots;
    previous = bytes;
    if (r.version === rows.length) {
      expect(verified.bundle.certificates).toHaveLength(0);
      expect(verified.bundle.revocationList.entries.map((e) => e.certificateNumber)).toEqual(numbers);
    }
  }
}, 600_000);
