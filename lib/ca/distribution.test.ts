/**
 * Revocation propagation on the software token and PGlite, with a clock the test moves: per
 * revocation, the first published version whose A4 lists it, and the time until every active
 * acquirer acknowledged that version or a later one (with the published body SM3); who is still
 * pending. A publication made before the revocation does not count, whatever its time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../errors';
import { publish } from '../publication';
import { activeRootKey, issuedCertificate, startHarness, type Harness } from '../../test/e2e/harness';
import { checkToken, createApiToken, loadTokenRecord, parseApiToken, type ApiClient } from './apiTokens';
import { revokeCertificate } from './certificates';
import type { CaServices } from './services';
import { recordAcknowledgement, revocationPropagation } from './distribution';
import { createInstitution } from './institutions';

let h: Harness;
let clock = new Date('2026-12-01T02:00:00Z');
let ca: CaServices;
const at = (seconds: number) => new Date(Date.parse('2026-12-01T02:00:00Z') + seconds * 1000);
const acquirers: { id: number; code: string; client: ApiClient }[] = [];

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  ca = { ...h.ca, now: () => clock };
  await activeRootKey({ ...h, ca }, 0x90);
  for (const name of ['收单甲', '收单乙']) {
    const institution = unwrap(await createInstitution(ca, h.admin, { kind: 'ACQUIRER', nameZh: name }));
    const token = unwrap(await createApiToken(ca, h.admin, { institutionId: institution.id, scope: 'ACQUIRER', label: 'TMS', expiresAt: at(30 * 86_400) }));
    const client = unwrap(checkToken(await loadTokenRecord(ca, token.view.id), parseApiToken(token.token)!, 'ACQUIRER', ca.now()));
    acquirers.push({ id: institution.id, code: Buffer.from(institution.code).toString('hex'), client });
  }
}, 120_000);
afterAll(() => h?.close());

async function published(version: number): Promise<Uint8Array> {
  return (await ca.prisma.publishedBundle.findUniqueOrThrow({ where: { version } })).bodySm3;
}

/** Acquirer `i` acknowledges `version` at `when` (with the published body SM3, or a wrong one). */
async function acknowledge(i: number, version: number, when: Date, right = true) {
  clock = when;
  const body = await published(version);
  unwrap(await recordAcknowledgement(ca, acquirers[i]!.client, { version, bodySm3: right ? body : new Uint8Array(32) }, body));
}

describe('revocationPropagation', () => {
  it('times each revocation from its revocation to the last active acquirer’s acknowledgement of a version listing it', async () => {
    const first = await issuedCertificate({ ...h, ca }, 1, { year: 2027, month: 6 }, 0x90);
    const second = await issuedCertificate({ ...h, ca }, 2, { year: 2027, month: 7 }, 0x90);
    expect(unwrap(await publish(ca, 'issuance')).version).toBe(1);
    await acknowledge(0, 1, at(10));

    clock = at(100);
    unwrap(await revokeCertificate(ca, h.bob, parseInt(first.number, 16), 'keyCompromise'));
    expect(unwrap(await revocationPropagation(ca))).toMatchObject([{ certificateNumber: first.number, revokedAt: at(100), firstVersion: null, completedAt: null, pending: acquirers.map((a) => a.code) }]);

    clock = at(160);
    expect(unwrap(await publish(ca, 'revocation')).version).toBe(2);
    // Version 1 is older than the revocation: acknowledging it again counts for nothing; a wrong body SM3 neither.
    await acknowledge(0, 1, at(170));
    await acknowledge(1, 2, at(180), false);
    await acknowledge(0, 2, at(200));
    const halfway = unwrap(await revocationPropagation(ca))[0]!;
    expect(halfway).toMatchObject({ firstVersion: 2, firstPublishedAt: at(160), pending: [acquirers[1]!.code], completedAt: null, propagationMs: null });
    expect(halfway.acknowledged).toEqual([{ institutionId: acquirers[0]!.id, code: acquirers[0]!.code, at: at(200) }]);

    clock = at(300);
    unwrap(await revokeCertificate(ca, h.bob, parseInt(second.number, 16), 'superseded'));
    clock = at(310);
    expect(unwrap(await publish(ca, 'revocation')).version).toBe(3);
    // A later version carries the first revocation too: acknowledging it completes the first.
    await acknowledge(1, 3, at(400));
    const [newest, oldest] = unwrap(await revocationPropagation(ca));
    expect(oldest).toMatchObject({ certificateNumber: first.number, firstVersion: 2, pending: [], completedAt: at(400), propagationMs: 300_000 });
    expect(newest).toMatchObject({ certificateNumber: second.number, firstVersion: 3, pending: [acquirers[0]!.code], completedAt: null });
    // Newest first, limited and bounded by `since`.
    expect(unwrap(await revocationPropagation(ca, { limit: 1 })).map((r) => r.certificateNumber)).toEqual([second.number]);
    expect(unwrap(await revocationPropagation(ca, { since: at(200) })).map((r) => r.certificateNumber)).toEqual([second.number]);
  });
});
