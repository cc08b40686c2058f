/**
 * The distribution status on the software token and PGlite, with a clock the test moves: each
 * acquirer's alarm (mismatch, never, silent, behind) or current, the lag in versions and time
 * against the current version, the thresholds the publication lead implies, "who has not
 * acknowledged version N" (by a deadline), and the acquirer list's pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../errors';
import { publish } from '../publication';
import { activeRootKey, issuedCertificate, startHarness, type Harness } from '../../test/e2e/harness';
import { checkToken, createApiToken, loadTokenRecord, parseApiToken, type ApiClient } from './apiTokens';
import { revokeCertificate } from './certificates';
import { distributionStatus, distributionThresholds, recordAcknowledgement, recordPolls, revocationPropagation, type DistributionQuery } from './distribution';
import { createInstitution } from './institutions';
import type { CaServices } from './services';

const T0 = Date.parse('2026-12-01T02:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
let clock = at(0);
let h: Harness;
let ca: CaServices;
const NAMES = ['current', 'behind', 'mismatch', 'silent', 'never'] as const;
type Name = (typeof NAMES)[number];
const acquirers = {} as Record<Name, { id: number; code: string; client: ApiClient }>;
const thresholds = { silentAfterMs: 3_600_000, behindAfterMs: 600_000 };
let revoked = '';

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  ca = { ...h.ca, now: () => clock };
  await activeRootKey({ ...h, ca }, 0x90);
  for (const name of NAMES) {
    const institution = unwrap(await createInstitution(ca, h.admin, { kind: 'ACQUIRER', nameZh: `收单 ${name}` }));
    const token = unwrap(await createApiToken(ca, h.admin, { institutionId: institution.id, scope: 'ACQUIRER', label: 'TMS', expiresAt: at(30 * 86_400) }));
    const client = unwrap(checkToken(await loadTokenRecord(ca, token.view.id), parseApiToken(token.token)!, 'ACQUIRER', ca.now()));
    acquirers[name] = { id: institution.id, code: Buffer.from(institution.code).toString('hex'), client };
  }
  revoked = (await issuedCertificate({ ...h, ca }, 1, { year: 2027, month: 6 }, 0x90)).number;
  unwrap(await publish(ca, 'issuance'));
  for (const name of ['current', 'behind', 'mismatch', 'silent'] as const) await acknowledge(name, 1, at(10));
  clock = at(100);
  unwrap(await revokeCertificate(ca, h.bob, parseInt(revoked, 16), 'keyCompromise'));
  clock = at(160);
  expect(unwrap(await publish(ca, 'revocation')).version).toBe(2);
  await acknowledge('current', 2, at(200));
  await acknowledge('mismatch', 2, at(210), false);
  await acknowledge('silent', 2, at(220));
  await recordPolls(ca, [
    ...(['current', 'behind', 'mismatch'] as const).map((n) => ({ institutionId: acquirers[n].id, version: 2, served: 1, notModified: 3, first: at(200), last: at(5_000) })),
    { institutionId: acquirers.silent.id, version: 2, served: 1, notModified: 0, first: at(220), last: at(220) },
  ]);
}, 180_000);
afterAll(() => h?.close());

/** Acquirer `name` acknowledges `version` at `when` (with the published body SM3, or a wrong one). */
async function acknowledge(name: Name, version: number, when: Date, right = true) {
  clock = when;
  const body = (await ca.prisma.publishedBundle.findUniqueOrThrow({ where: { version } })).bodySm3;
  unwrap(await recordAcknowledgement(ca, acquirers[name].client, { version, bodySm3: right ? body : new Uint8Array(32) }, body));
}

async function statusAt(seconds: number, query: Partial<DistributionQuery> = {}) {
  clock = at(seconds);
  return distributionStatus(ca, { thresholds, ...query });
}

const byName = (rows: readonly { institutionId: number }[]) => rows.map((r) => NAMES.find((n) => acquirers[n].id === r.institutionId));

describe('distributionStatus', () => {
  it('raises each alarm kind and measures the lag against the current version in versions and time', async () => {
    const status = unwrap(await statusAt(5_100));
    expect(status.latest).toEqual({ version: 2, publishedAt: at(160) });
    expect(status.acquirers.map((a) => [a.code, a.status])).toEqual(NAMES.map((n) => [acquirers[n].code, n]));
    const row = (name: Name) => status.acquirers.find((a) => a.institutionId === acquirers[name].id)!;
    expect(row('current')).toMatchObject({ acknowledgedVersion: 2, acknowledgedAt: at(200), lagVersions: 0, lagMs: 0, lastPollAt: at(5_000), lastPolledVersion: 2, alarms: 0 });
    // Behind since version 2 came out (160 s), past the 600 s threshold.
    expect(row('behind')).toMatchObject({ acknowledgedVersion: 1, lagVersions: 1, lagMs: (5_100 - 160) * 1000 });
    // The mismatched version 2 is not installed: version 1 is, and the alarm is the row's status.
    expect(row('mismatch')).toMatchObject({ acknowledgedVersion: 1, lagVersions: 1, alarms: 1 });
    // Current, but nothing heard for longer than the silence threshold.
    expect(row('silent')).toMatchObject({ acknowledgedVersion: 2, lagVersions: 0, lastPollAt: at(220) });
    // Never heard from: every version is missing, since version 1 came out.
    expect(row('never')).toMatchObject({ acknowledgedVersion: null, lastPollAt: null, lagVersions: 2, lagMs: 5_100 * 1000 });
  });

  it('lets an acquirer install a new version within the threshold before it is behind', async () => {
    const status = unwrap(await statusAt(700));
    expect(status.acquirers.map((a) => a.status)).toEqual(['current', 'current', 'mismatch', 'current', 'never']);
    expect(status.acquirers[1]).toMatchObject({ lagVersions: 1, lagMs: 540_000 });
  });

  it('takes its thresholds from the publication lead', () => {
    expect(distributionThresholds({ leadSeconds: 86_400 })).toEqual({ silentAfterMs: 86_400_000, behindAfterMs: 86_400_000 });
  });

  it('lists who had not acknowledged version N or a later one, by a deadline; an unpublished version is BUNDLE_NOT_FOUND', async () => {
    expect(byName(unwrap(await statusAt(5_100, { version: 2 })).missing!.acquirers)).toEqual(['behind', 'mismatch', 'never']);
    expect(byName(unwrap(await statusAt(5_100, { version: 1 })).missing!.acquirers)).toEqual(['never']);
    const byDeadline = unwrap(await statusAt(5_100, { version: 2, by: at(215) })).missing!;
    expect([byDeadline.by, byName(byDeadline.acquirers)]).toEqual([at(215), ['behind', 'mismatch', 'silent', 'never']]);
    for (const version of [0, 3]) {
      const refused = await statusAt(5_100, { version });
      expect(refused.ok ? null : [refused.error.code, refused.error.field]).toEqual(['BUNDLE_NOT_FOUND', 'version']);
    }
  });

  it('pages the acquirers by code', async () => {
    const second = unwrap(await statusAt(5_100, { page: 2, pageSize: 2 }));
    expect([second.total, second.page, second.pages, byName(second.acquirers)]).toEqual([5, 2, 3, ['mismatch', 'silent']]);
    const past = unwrap(await statusAt(5_100, { page: 9, pageSize: 2 }));
    expect([past.page, byName(past.acquirers)]).toEqual([3, ['never']]);
  });

  it('clears a mismatch once the acquirer acknowledges that version with the published body SM3, and propagation waits for every active acquirer', async () => {
    expect(unwrap(await revocationPropagation(ca))[0]).toMatchObject({ certificateNumber: revoked, firstVersion: 2, pending: ['behind', 'mismatch', 'never'].map((n) => acquirers[n as Name].code), propagationMs: null });
    await acknowledge('mismatch', 2, at(5_050));
    const status = unwrap(await statusAt(5_100));
    expect(status.acquirers.find((a) => a.institutionId === acquirers.mismatch.id)).toMatchObject({ status: 'current', acknowledgedVersion: 2, alarms: 1 });
    await acknowledge('behind', 2, at(5_060));
    await acknowledge('never', 2, at(5_070));
    // Revoked at 100 s, the last active acquirer acknowledged a version listing it at 5 070 s.
    expect(unwrap(await revocationPropagation(ca))[0]).toMatchObject({ certificateNumber: revoked, pending: [], completedAt: at(5_070), propagationMs: (5_070 - 100) * 1000 });
  });
});
