/**
 * Time-driven state on a clock the test moves: certificates are EXPIRED after their MMYY (CST),
 * 90/30/7-day warnings list what ends soon, stale requests and past root keys expire (audited),
 * and the start-up step applies all of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../../lib/errors';
import { listCertificates } from '../../lib/ca/certificates';
import { expiringCertificates, expireRootKeys, expireStaleRequests, recordExpiredCertificates } from '../../lib/ca/expiry';
import { recoverAtStartup } from '../../lib/ca/recovery';
import { showRequest } from '../../lib/ca/requests';
import { listRootKeys } from '../../lib/ca/rootKeys';
import type { CalendarMonth } from '../../lib/codec';
import { activeRootKey, issuedCertificate, startHarness, submittedRequest, type Harness } from './harness';

let clock = new Date('2026-11-24T02:00:00Z');
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ now: () => clock });
});
afterAll(() => h?.close());

const submitted = (serial: number, expiry: CalendarMonth) => submittedRequest(h, serial, expiry);
const issued = (serial: number, expiry: CalendarMonth) => issuedCertificate(h, serial, expiry, 0x83);

describe('expiry', () => {
  it('derives expired certificates, warns at 90/30/7 days, and expires stale requests and root keys', async () => {
    await activeRootKey(h, 0x83);
    const december = await issued(1, { year: 2026, month: 12 });
    const january = await issued(2, { year: 2027, month: 1 });
    const february = await issued(3, { year: 2027, month: 2 });
    const open = await submitted(4, { year: 2027, month: 6 });

    // 5 January 2027: December's certificate is over; January's ends in 26.7 days, February's in 54.7.
    clock = new Date('2027-01-05T00:00:00Z');
    expect((await listCertificates(h.ca, { status: 'EXPIRED' })).map((c) => c.number)).toEqual([december.number]);
    expect((await listCertificates(h.ca, { status: 'ACTIVE' })).map((c) => c.number)).toEqual([january.number, february.number]);
    const warnings = await expiringCertificates(h.ca);
    expect(warnings.map((w) => [w.certificate.number, w.tier, w.daysLeft])).toEqual([
      [january.number, 30, 26],
      [february.number, 90, 54],
    ]);
    expect(await expiringCertificates(h.ca, clock, 90, { issuerId: h.issuerId + 1 })).toEqual([]);
    expect(await expiringCertificates(h.ca, clock, 90, { status: 'EXPIRED' })).toEqual([]);
    expect((await expiringCertificates(h.ca, clock, 90, { issuerId: h.issuerId })).map((w) => w.certificate.number)).toEqual([january.number, february.number]);

    // The last CST day of January, one second before its end: inside the 7-day tier, still active.
    clock = new Date('2027-01-31T15:59:59.000Z');
    expect((await expiringCertificates(h.ca, clock, 7)).map((w) => [w.certificate.number, w.tier])).toEqual([[january.number, 7]]);
    clock = new Date('2027-01-31T16:00:00.000Z');
    expect((await listCertificates(h.ca, { status: 'EXPIRED' })).map((c) => c.number)).toEqual([december.number, january.number]);

    // The log records each certificate's expiry once, as the clock passes it.
    const expiredEvents = () => h.db.prisma.auditEvent.findMany({ where: { action: 'certificate.expired' }, orderBy: { seq: 'asc' }, select: { objectId: true } });
    const numbers = async () => (await h.db.prisma.certificate.findMany({ orderBy: { number: 'asc' }, select: { number: true } })).map((c) => c.number.toString());
    const [decemberNumber, januaryNumber, februaryNumber] = await numbers();
    expect(unwrap(await recordExpiredCertificates(h.ca))).toEqual([decemberNumber, januaryNumber]);
    expect(unwrap(await recordExpiredCertificates(h.ca))).toEqual([]);
    expect((await expiredEvents()).map((e) => e.objectId)).toEqual([decemberNumber, januaryNumber]);

    // The open request is 68 days old: it expires, once, with an audit event.
    const events = await h.db.prisma.auditEvent.count();
    expect(unwrap(await expireStaleRequests(h.ca))).toEqual([open.id]);
    expect(unwrap(await expireStaleRequests(h.ca))).toEqual([]);
    expect(await h.db.prisma.auditEvent.count()).toBe(events + 1);
    expect(unwrap(await showRequest(h.ca, open.id)).state).toBe('EXPIRED');

    // Root key 83 is valid through 31 December 2031 (CST); the start-up step expires it after that.
    clock = new Date('2031-12-31T15:59:59.999Z');
    expect(unwrap(await expireRootKeys(h.ca))).toEqual([]);
    clock = new Date('2031-12-31T16:00:00.000Z');
    expect(unwrap(await recoverAtStartup(h.ca))).toMatchObject({ expiredRootKeys: ['83'], expiredRequests: [], expiredCertificates: [februaryNumber] });
    expect((await expiredEvents()).map((e) => e.objectId)).toEqual([decemberNumber, januaryNumber, februaryNumber]);
    expect((await listRootKeys(h.ca)).map((k) => k.state)).toEqual(['EXPIRED']);
  });
});
