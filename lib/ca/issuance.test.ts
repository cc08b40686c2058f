/**
 * Issuance when the HSM fails, on the software token and PGlite: the root key disappears from the
 * token after approval. The reserved number ends FAILED with the HSM's code (its own audit
 * event), no certificate exists, the request stays APPROVED, and the next number follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../errors';
import { activeRootKey, approvedRequests, startHarness, type Harness } from '../../test/e2e/harness';
import { checkLedger } from '../../test/e2e/issuanceProcess';
import { issueCertificate } from './issuance';
import { showRequest } from './requests';
import { approveCeremony, requestRootKeyChange } from './rootKeys';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('issuance when the HSM cannot sign', () => {
  it('records the number as FAILED with the HSM error and issues nothing', async () => {
    await activeRootKey(h, 0x8a);
    const [first, second] = await approvedRequests(h, 0x8a, 1, 2);
    unwrap(await issueCertificate(h.ca, h.bob, first));

    const root = await h.db.prisma.rootKey.findUniqueOrThrow({ where: { index: 0x8a } });
    unwrap(await h.keys.destroyKey({ id: root.hsmKeyId }));
    const events = await h.db.prisma.auditEvent.count();
    const failed = await issueCertificate(h.ca, h.bob, second);
    expect(failed.ok ? 'ok' : failed.error.code).toBe('HSM_KEY_NOT_FOUND');
    expect(failed.ok ? null : failed.error.details?.certificateNumber).toBe('2');
    expect(await h.db.prisma.auditEvent.count()).toBe(events + 2);

    expect(await checkLedger(h.db.prisma)).toEqual({ issued: 1, failed: [{ number: 2n, code: 'HSM_KEY_NOT_FOUND' }] });
    expect(unwrap(await showRequest(h.ca, second)).state).toBe('APPROVED');

    // Retiring the lost key is a database change and works; the request then waits for another key.
    const retire = unwrap(await requestRootKeyChange(h.ca, h.alice, 'RETIRE', 0x8a));
    unwrap(await approveCeremony(h.ca, h.bob, retire.id));
    const again = await issueCertificate(h.ca, h.bob, second);
    expect(again.ok ? 'ok' : again.error.code).toBe('ROOT_KEY_NOT_USABLE');
    expect(await h.db.prisma.certificateNumberAllocation.count()).toBe(2);
  });
});
