import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPkcs11KeyManager } from '../../hsm/pkcs11KeyManager';
import { activeRootKey, issuedCertificate, startHarness, submittedRequest, type Harness } from '../../test/e2e/harness';
import { unwrap } from '../errors';
import { revokeCertificate } from './certificates';
import { readDashboard } from './dashboard';
import { cstMonthOf } from './validity';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

const monthsAhead = (n: number) => {
  const { year, month } = cstMonthOf(h.ca.now());
  const index = year * 12 + (month - 1) + n;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
};

it('counts what the CA holds, lists what expires within the horizon with its tier, and reports the canary', async () => {
  await activeRootKey(h, 0x81);
  const soon = await issuedCertificate(h, 1, monthsAhead(1), 0x81); // ends within 30–62 days: tier 90 or 30
  await issuedCertificate(h, 2, monthsAhead(14), 0x81); // beyond a year
  const revoked = await issuedCertificate(h, 3, monthsAhead(2), 0x81);
  unwrap(await revokeCertificate(h.ca, h.bob, parseInt(revoked.number, 16), 'superseded'));
  await submittedRequest(h, 4, monthsAhead(3));

  const d = unwrap(await readDashboard(h.ca, h.admin));
  expect(d.operators).toEqual({ active: 4, disabled: 0 }); // the harness's two administrators and two officers
  expect(d.institutions).toEqual({ ACTIVE: 1, SUSPENDED: 0, WITHDRAWN: 0 });
  expect(d.rootKeys).toEqual({ PENDING: 0, ACTIVE: 1, RETIRED: 0, EXPIRED: 0 });
  expect(d.certificates).toMatchObject({ active: 2, revoked: 1, expired: 0 });
  expect(d.open).toEqual({ requestsToReview: 1, requestsToIssue: 0, ceremonies: 0 });
  expect(d.expiring.map((e) => [e.kind, e.id])).toEqual([['certificate', soon.number]]);
  const [item] = d.expiring;
  expect(item.tier).toBe(item.daysLeft < 30 ? 30 : 90);
  expect(d.certificates.expiring).toEqual({ 90: 1, 30: item.daysLeft < 30 ? 1 : 0, 7: 0 });
  expect(d.hsm).toMatchObject({ ok: true, error: null });
  expect(d.hsm.latencyMs).toBeGreaterThan(0);

  // Over six years the root key (2031-12-31) and the later certificate come into view, soonest first.
  const wide = unwrap(await readDashboard(h.ca, h.alice, 6 * 366));
  expect(wide.expiring.map((e) => e.kind)).toEqual(['certificate', 'certificate', 'rootKey']);
  expect(wide.expiring[2]).toMatchObject({ id: '81', tier: null });
});

it('reports an HSM that cannot run its canary instead of failing the dashboard', async () => {
  const { modulePath, tokenLabel, pin, profile } = h.token;
  const closed = unwrap(await openPkcs11KeyManager({ modulePath, tokenLabel, pin, profile }));
  await closed.close();
  const d = unwrap(await readDashboard({ ...h.ca, keys: closed }, h.admin));
  expect(d.hsm).toMatchObject({ ok: false, latencyMs: null, error: { code: 'HSM_CLOSED' } });
  expect(d.operators.active).toBe(4);
});
