/**
 * 50 concurrent issuances from two processes against one PostgreSQL: both processes get all 50
 * approved requests, in opposite orders, four workers each. Every request is issued exactly
 * once, numbers and serials never repeat, every allocated number is a certificate or a recorded
 * failure, and every certificate verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStoredChain } from '../../lib/audit';
import { unwrap } from '../../lib/errors';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { uintToBytes } from '../../lib/bytes';
import { createInstitution } from '../../lib/ca/institutions';
import { approveRequest, issueChallenge, reviewRequest, submitRequest } from '../../lib/ca/requests';
import { activeRootKey, approvedRequests, buildRequest, startHarness, type Harness } from './harness';
import { checkLedger, startIssuanceProcess } from './issuanceProcess';

let postgres: TestPostgres;
let url: string;
let h: Harness;

beforeAll(async () => {
  postgres = await startPostgres();
  url = await postgres.createDatabase('concurrency');
  h = await startHarness({ url });
}, 300_000);
afterAll(async () => {
  await h?.close();
  await postgres?.stop();
});

describe('concurrent issuance from two processes', () => {
  it('issues 50 certificates once each, without duplicate or lost numbers', async () => {
    await activeRootKey(h, 0x01);
    const ids = await approvedRequests(h, 0x01, 25, 2);
    expect(ids).toHaveLength(50);

    const first = startIssuanceProcess(h, { url }, ids, 4);
    const second = startIssuanceProcess(h, { url }, [...ids].reverse(), 4);
    const [a, b] = await Promise.all([first.ended, second.ended]);
    expect(a, a.stderr).toMatchObject({ code: 0 });
    expect(b, b.stderr).toMatchObject({ code: 0 });

    const outcomes = [...first.outcomes, ...second.outcomes];
    const issued = outcomes.filter((o) => o.number !== undefined);
    // Each request was issued by exactly one process; the other was told why not.
    expect(issued.map((o) => o.requestId).sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(issued.map((o) => o.number)).size).toBe(50);
    expect(first.outcomes.filter((o) => o.number).length).toBeGreaterThan(0);
    expect(second.outcomes.filter((o) => o.number).length).toBeGreaterThan(0);
    for (const o of outcomes.filter((x) => x.code !== undefined)) expect(['REQUEST_STATE', 'ISSUANCE_IN_PROGRESS']).toContain(o.code);

    const ledger = await checkLedger(h.db.prisma);
    expect(ledger).toEqual({ issued: 50, failed: [] });
    // What each process was handed is exactly what the database holds.
    const stored = await h.db.prisma.certificate.findMany({ select: { requestId: true, bytes: true } });
    const byRequest = new Map(stored.map((c) => [c.requestId, Buffer.from(c.bytes).toString('hex')]));
    for (const o of issued) expect(byRequest.get(o.requestId)).toBe(o.certificate);

    expect(unwrap(await verifyStoredChain(h.db.prisma)).events).toBe(await h.db.prisma.auditEvent.count());
  }, 600_000);

  it('never lets one issuer exceed its cap of active certificates, however the processes interleave', async () => {
    // Five approved requests of one issuer: the cap (4) is only reached during issuance.
    const issuerId = 0x00002001;
    unwrap(await createInstitution(h.ca, h.admin, { kind: 'ISSUER', code: uintToBytes(issuerId, 4), nameZh: '上限测试发卡机构' }));
    const ids: number[] = [];
    for (let serial = 1; serial <= 5; serial++) {
      const challenge = unwrap(await issueChallenge(h.ca, h.alice, issuerId));
      const request = unwrap(await submitRequest(h.ca, h.alice, buildRequest({ issuerId, challenge: challenge.challenge, serial, expiry: { year: 2028, month: 9 } }).a1));
      unwrap(await reviewRequest(h.ca, h.alice, request.id, request.fingerprint));
      unwrap(await approveRequest(h.ca, h.bob, request.id, 0x01));
      ids.push(request.id);
    }
    const first = startIssuanceProcess(h, { url }, ids, 4);
    const second = startIssuanceProcess(h, { url }, [...ids].reverse(), 4);
    await Promise.all([first.ended, second.ended]);

    const issued = await h.db.prisma.certificate.findMany({ where: { requestId: { in: ids } }, select: { requestId: true } });
    expect(issued).toHaveLength(4);
    const left = ids.filter((id) => !issued.some((c) => c.requestId === id));
    const outcomesOfLeft = [...first.outcomes, ...second.outcomes].filter((o) => o.requestId === left[0]).map((o) => o.code);
    expect(outcomesOfLeft).toEqual(['ACTIVE_CERTIFICATE_CAP', 'ACTIVE_CERTIFICATE_CAP']);
    expect((await checkLedger(h.db.prisma)).failed).toEqual([]);
  }, 600_000);
});
