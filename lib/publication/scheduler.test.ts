/**
 * The publication timer, on the software token and PGlite: a round records a certificate that
 * expired while the server runs (its certificate.expired event, without a restart) and publishes
 * only what time changed (a certificate past its expiry drops out; nothing else → unchanged), and
 * no round runs after stop().
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeBundle } from '../codec';
import { unwrap, type Result } from '../errors';
import type { CaServices } from '../ca';
import { activeRootKey, issuedCertificate, startHarness, type Harness } from '../../test/e2e/harness';
import { publish, type PublishOutcome } from './publish';
import { bundleByVersion } from './reads';
import { startPublicationScheduler } from './scheduler';

let h: Harness;
let clock = new Date('2026-12-20T02:00:00Z');
let ca: CaServices;
beforeAll(async () => {
  h = await startHarness({ now: () => clock });
  ca = { ...h.ca, now: () => clock };
  await activeRootKey({ ...h, ca }, 0x93);
}, 600_000);
afterAll(() => h?.close());

it('publishes when a certificate expires, and otherwise answers unchanged', async () => {
  const first = await issuedCertificate({ ...h, ca }, 1, { year: 2027, month: 1 }, 0x93);
  await issuedCertificate({ ...h, ca }, 2, { year: 2027, month: 6 }, 0x93);
  expect(unwrap(await publish(ca, 'operator'))).toEqual({ version: 1 });

  const rounds: Result<PublishOutcome>[] = [];
  let resolveRound: () => void = () => undefined;
  const scheduler = startPublicationScheduler(ca, { intervalMs: 20, onResult: (r) => (rounds.push(r), resolveRound()) });
  const nextRound = () => new Promise<void>((resolve) => (resolveRound = resolve));
  await nextRound();
  expect(rounds.at(-1)).toEqual({ ok: true, value: { unchanged: true, version: 1 } });

  // Past 31 January 2027 (CST) the first certificate has expired; the bundle of version 1 too.
  clock = new Date('2027-02-01T00:00:00Z');
  await nextRound();
  await scheduler.stop();
  const expired = await h.db.prisma.auditEvent.findMany({ where: { action: 'certificate.expired' }, select: { objectId: true, time: true } });
  // The view's number is the eight hex digits; the event's object id the decimal number.
  expect(expired).toEqual([{ objectId: BigInt(`0x${first.number}`).toString(), time: clock }]);
  const fresh = rounds.filter((r) => r.ok && !r.value.unchanged);
  expect(fresh).toEqual([{ ok: true, value: { version: 2 } }]);
  const listed = unwrap(decodeBundle(unwrap(await bundleByVersion(ca, 2)))).certificates.map((c) => c.certificateNumber);
  expect(listed).toEqual([2]);
  const after = rounds.length;
  await new Promise((r) => setTimeout(r, 60));
  expect(rounds.length).toBe(after);
}, 600_000);
