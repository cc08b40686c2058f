import { afterAll, beforeAll, expect, it } from 'vitest';
import { uintToBytes } from '../bytes';
import { activeRootKey, issuedCertificate, startHarness, type Harness } from '../../test/e2e/harness';
import { unwrap } from '../errors';
import { searchCertificates } from './certificateSearch';
import { revokeCertificate } from './certificates';
import { createInstitution } from './institutions';
import { requestDetail } from './requestDetail';
import { cstMonthOf } from './validity';

let h: Harness;
const numbers: string[] = [];
beforeAll(async () => {
  h = await startHarness();
  await activeRootKey(h, 0x81);
  const second = h.issuerId + 1;
  unwrap(await createInstitution(h.ca, h.admin, { kind: 'ISSUER', code: uintToBytes(second, 4), nameZh: '第二发卡机构' }));
  // Serials 1–3 of the harness's issuer, then serial 1 of the second; the first ends soonest.
  for (const [serial, months] of [[1, 1], [2, 14], [3, 6]] as const) numbers.push((await issuedCertificate(h, serial, monthsAhead(months), 0x81)).number);
  numbers.push((await issuedCertificate({ ...h, issuerId: second }, 1, monthsAhead(20), 0x81)).number);
  unwrap(await revokeCertificate(h.ca, h.bob, parseInt(numbers[2], 16), 'superseded'));
});
afterAll(async () => h?.close());

function monthsAhead(n: number) {
  const { year, month } = cstMonthOf(new Date());
  const index = year * 12 + (month - 1) + n;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

const page = async (search: Parameters<typeof searchCertificates>[1]) => {
  const found = await searchCertificates(h.ca, search);
  return { ...found, numbers: found.rows.map((r) => r.number) };
};

it('pages in the database: the total, the page asked for, the last page for one past the end', async () => {
  expect(await page({ pageSize: 3 })).toMatchObject({ total: 4, pages: 2, page: 1, numbers: numbers.slice(0, 3) });
  expect(await page({ pageSize: 3, page: 2 })).toMatchObject({ page: 2, numbers: numbers.slice(3) });
  expect(await page({ pageSize: 3, page: 9 })).toMatchObject({ page: 2, numbers: numbers.slice(3) });
  expect((await page({ pageSize: 1000 })).pageSize).toBe(100);
});

it('filters by number, issuer, status and expiring tier, and sorts by the decoded columns', async () => {
  expect((await page({ number: parseInt(numbers[1], 16) })).numbers).toEqual([numbers[1]]);
  expect((await page({ issuerId: h.issuerId + 1 })).numbers).toEqual([numbers[3]]);
  expect((await page({ status: 'REVOKED' })).numbers).toEqual([numbers[2]]);
  expect((await page({ status: 'ACTIVE' })).numbers).toEqual([numbers[0], numbers[1], numbers[3]]);
  expect((await page({ expiringWithinDays: 90 })).numbers).toEqual([numbers[0]]); // ends within about 62 days
  expect((await page({ sort: 'expiresAt', descending: true })).numbers).toEqual([numbers[3], numbers[1], numbers[2], numbers[0]]);
  expect((await page({ sort: 'issuer', descending: true })).numbers[0]).toBe(numbers[3]);
  expect((await page({ sort: 'serial' })).numbers.slice(0, 2).sort()).toEqual([numbers[0], numbers[3]].sort());
});

it('shows a request with its A1 decoded and its proof of possession verified again', async () => {
  const detail = unwrap(await requestDetail(h.ca, 1));
  expect(detail.request.id).toBe(1);
  expect(detail.record).toMatchObject({ issuerId: h.issuerId.toString(16).toUpperCase().padStart(8, '0'), serial: 1 });
  expect(detail.record.publicKeyX + detail.record.publicKeyY).toBe(detail.request.publicKey);
  expect(detail.proofOfPossessionValid).toBe(true);
  expect(detail.submissionChecks).toEqual(['issuerActive', 'challengeValid', 'keyNotKnown', 'proofOfPossession', 'serialUnused', 'expiryWindow', 'activeCap']);
  expect(await requestDetail(h.ca, 999)).toMatchObject({ ok: false, error: { code: 'REQUEST_UNKNOWN' } });
});
