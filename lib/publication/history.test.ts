/**
 * The console's reads of the published versions, on versions the publisher made from a CA's real
 * changes (software token, PGlite): two certificates issued, one revoked, a second root key
 * announced — three versions, read newest first a page at a time, with their changes, the root
 * keys' first distribution and the current version's expiry tier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveCeremony, requestRootKeyChange, requestRootKeyCreation, revokeCertificate, type CaServices } from '../ca';
import { unwrap } from '../errors';
import { activeRootKey, issuedCertificate, startHarness, type Harness } from '../../test/e2e/harness';
import { bundleDetail, bundlePage, publicationOutlook, rootKeyFirstDistribution } from './history';
import { DEFAULT_PUBLICATION_POLICY } from './policy';
import { publish } from './publish';

let h: Harness;
let clock = new Date('2026-12-01T02:00:00Z');
let ca: CaServices;
let revoked = '';
const HOUR = 3_600_000;

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  ca = { ...h.ca, now: () => clock };
  const under = { ...h, ca };
  await activeRootKey(under, 0x90);
  const first = await issuedCertificate(under, 1, { year: 2027, month: 6 }, 0x90);
  await issuedCertificate(under, 2, { year: 2027, month: 7 }, 0x90);
  unwrap(await publish(ca, 'operator'));
  clock = new Date(clock.getTime() + HOUR);
  unwrap(await revokeCertificate(ca, h.alice, Number.parseInt(first.number, 16), 'keyCompromise'));
  revoked = first.number.toLowerCase();
  unwrap(await publish(ca, 'revocation'));
  clock = new Date(clock.getTime() + HOUR);
  unwrap(await approveCeremony(ca, h.bob, unwrap(await requestRootKeyCreation(ca, h.alice, { index: 0x91, environment: 'TEST', expiry: { year: 2032, month: 12, day: 31 } })).id));
  unwrap(await approveCeremony(ca, h.bob, unwrap(await requestRootKeyChange(ca, h.alice, 'ANNOUNCE', 0x91)).id));
  unwrap(await publish(ca, 'rootKey'));
}, 180_000);
afterAll(() => h?.close());

describe('published versions for the console', () => {
  it('pages the versions newest first with what each changed', async () => {
    const first = unwrap(await bundlePage(ca, 1, 2));
    expect({ total: first.total, page: first.page, pages: first.pages, versions: first.rows.map((r) => r.version) }).toEqual({ total: 3, page: 1, pages: 2, versions: [3, 2] });
    expect(first.rows[0]!.changes).toEqual([{ kind: 'root-added', subject: '91' }]);
    expect(first.rows[1]!.changes).toEqual([
      { kind: 'certificate-removed', subject: revoked },
      { kind: 'revocation-added', subject: revoked },
    ]);
    expect(first.rows[1]).toMatchObject({ a2Count: 1, a3Count: 1, a4Count: 1 });
    const last = unwrap(await bundlePage(ca, 9, 2));
    expect({ page: last.page, versions: last.rows.map((r) => r.version) }).toEqual({ page: 2, versions: [1] });
    expect(last.rows[0]!.changes.map((c) => c.kind)).toEqual(['certificate-added', 'certificate-added', 'root-added']);
  });

  it('reads one version, and refuses one never published', async () => {
    const v3 = unwrap(await bundleDetail(ca, 3));
    expect(v3).toMatchObject({ version: 3, a2Count: 2, a3Count: 1, a4Count: 1, reason: 'rootKey', signingRootIndex: 0x90 });
    expect(v3.size).toBeGreaterThan(0);
    const missing = await bundleDetail(ca, 4);
    expect(missing.ok ? 'ok' : missing.error.code).toBe('BUNDLE_NOT_FOUND');
  });

  it('dates each root key by the first version that lists it', async () => {
    const first = await rootKeyFirstDistribution(ca);
    expect([...first].map(([index, d]) => [index, d.version])).toEqual([
      [0x90, 1],
      [0x91, 3],
    ]);
  });

  it('puts the current version in a tier by its expiry and the lead', async () => {
    const policy = DEFAULT_PUBLICATION_POLICY;
    const now = unwrap(await bundleDetail(ca, 3));
    const at = (when: Date) => publicationOutlook({ ...ca, now: () => when }, policy);
    const current = await at(now.publishedAt);
    expect(current).toMatchObject({ version: 3, tier: 'current', nextScheduledAt: new Date(now.expiresAt.getTime() - policy.leadSeconds * 1000) });
    expect((await at(new Date(now.expiresAt.getTime() - HOUR)))?.tier).toBe('expiring');
    expect((await at(new Date(now.expiresAt.getTime() + 1)))?.tier).toBe('expired');
  });
});
